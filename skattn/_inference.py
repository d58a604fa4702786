"""Posteriors of infinitely wide networks from their kernels, in float64.

Notation: ``P`` is the NNGP and ``Theta`` the NTK; ``D`` the training inputs
and ``T`` the test inputs; ``Y`` the ``(n_train, n_outputs)`` targets and
``N = Y.size`` the number of target entries. The kernel a model is trained
with, ``K`` (``P`` for the Bayesian network, ``Theta`` for gradient descent),
is regularised on its diagonal, ``A = K_DD + alpha I``, and every posterior is
a spectral function ``h(A)`` of it: gradient flow on the mean squared error
``||f(D) - Y||^2 / (2 N)`` with learning rate 1 for a time ``t`` applies (Lee
et al. 2019, "Wide neural networks of any depth evolve as linear models under
gradient descent", sec. 2; neural-tangents'
``predict.gradient_descent_mse_ensemble``)::

    h_t(lam) = (1 - exp(-lam t / N)) / lam,        h_inf(lam) = 1 / lam

so ``h_inf(A) = A^-1``: infinite time is kernel regression.

Two objects own how ``h(A)`` is applied, chosen once by `posterior`:

* `ExactPosterior` (``t=None``): the Cholesky factor ``A = L L^T`` of
  Rasmussen & Williams' Alg. 2.1, ``n^3 / 3`` flops, computed in place;
* `FlowPosterior` (finite ``t``): the eigendecomposition ``A = V diag(lam) V^T``,
  several times dearer, needed because ``h_t`` is not a rational function.

Two more say what the models do with them: `NNGPModel` (the Bayesian
network: exact GP regression with the NNGP) and `NTKModel` (the network
trained by gradient descent: the mean from the NTK, the covariance from both
kernels).
"""

import itertools

import numpy as np
import scipy.linalg
from scipy.special import erfc

from ._warnings import warn

#: Columns handled at once when scanning an ``n x n`` matrix (bounds the temporaries).
_ROWS = 1024


def _check_conditioning(ratio, floor, alpha, kernel_dtype, measured, scale):
    """Refuse an ``A`` singular in float64; warn when it is so at the kernel's precision.

    ``ratio`` is the reciprocal of ``A``'s condition number (or an estimate),
    ``floor`` the float64 rounding level below which the factorisation itself
    is meaningless. A kernel computed in float32 carries relative rounding
    noise of about ``eps32 = 1.2e-7`` that the float64 algebra cannot remove:
    above ``floor`` but below ``eps32`` the posterior may be dominated by it
    (unless the kernel happens to be exact in float32), hence a warning.
    ``scale``, the mean of the kernel's diagonal, goes into the error.
    """
    if not ratio > floor:
        raise _singular(f"is numerically singular: {measured} is {ratio:.2g}, within "
                        "float64 rounding", alpha, kernel_dtype, scale)
    noise = np.finfo(kernel_dtype).eps
    if ratio <= noise:
        warn(
            f"The train kernel plus alpha * I (alpha={alpha:g}) is numerically singular "
            f"at the precision it was computed in: {measured} is {ratio:.2g}, within "
            f"the relative rounding noise of a {np.dtype(kernel_dtype)} kernel "
            f"({noise:.1e}), so predictions may be dominated by that noise. Compute the "
            "kernel in float64 (dtype='float64') to keep this model, or increase 'alpha', "
            "which changes it.",
            scipy.linalg.LinAlgWarning)


def _regularised(kernel, alpha, overwrite):
    """``A = kernel + alpha I`` in float64, Fortran-ordered for LAPACK.

    A C-ordered symmetric array is the Fortran-ordered view of itself
    transposed, so with ``overwrite=True`` a float64 kernel is used in place:
    no ``n x n`` copy.
    """
    A = np.asarray(kernel, dtype=np.float64)
    A = A.T if A.flags.c_contiguous else A
    if not (overwrite and A.flags.f_contiguous and A.flags.writeable):
        A = np.array(A, dtype=np.float64, order="F")
    A[np.diag_indices_from(A)] += alpha
    return A


def _singular(what, alpha, kernel_dtype, scale):
    """The error for an ``A`` that cannot be factorised; ``what`` says why, ``scale``
    is the mean of the kernel's diagonal (``alpha`` is in its units)."""
    advice = "Try gradually increasing the 'alpha' parameter"
    if np.dtype(kernel_dtype) != np.float64:
        advice += (f", or compute the kernel in float64 (dtype='float64'): a "
                   f"{np.dtype(kernel_dtype)} kernel carries relative rounding noise of "
                   f"about {np.finfo(kernel_dtype).eps:.1e}")
    return np.linalg.LinAlgError(
        f"The train kernel plus alpha * I (alpha={alpha:g}) {what}. The kernel's "
        f"diagonal averages {scale:.3g}, and alpha is in its units. Some training "
        f"sequences may be duplicates or indistinguishable to this architecture. {advice}."
    )


def _one_norm(A):
    """``max_j sum_i |A_ij|``, a few columns at a time (no ``n x n`` temporary)."""
    return max(np.abs(A[:, i:i + _ROWS]).sum(axis=0).max() for i in range(0, len(A), _ROWS))


class ExactPosterior:
    """``h(A) = A^-1`` through the Cholesky factor ``A = L L^T`` (R&W Alg. 2.1).

    Parameters
    ----------
    kernel : ndarray of shape (n, n)
        Symmetric train-train kernel.
    alpha : float
        Value added to the diagonal.
    kernel_dtype : dtype, default=float64
        The precision the kernel was computed in: a float32 kernel close to
        singular within its rounding noise gets a warning.
    overwrite : bool, default=False
        Factorise a float64 ``kernel`` in place (it is destroyed): no ``n x n``
        copy.

    Raises
    ------
    numpy.linalg.LinAlgError
        If ``A`` is not positive definite, or numerically singular: LAPACK's
        estimate of its reciprocal condition number (``pocon``, in the 1-norm)
        is below float64's ``eps``.

    Warns
    -----
    scipy.linalg.LinAlgWarning
        If that estimate is below the ``eps`` of ``kernel_dtype`` (float32).

    Examples
    --------
    >>> import numpy as np
    >>> post = ExactPosterior(np.array([[2.0, 1.0], [1.0, 2.0]]), alpha=1.0)
    >>> post.apply(np.array([[4.0], [4.0]]))  # A^-1 y with A = [[3, 1], [1, 3]]
    array([[1.],
           [1.]])
    """

    def __init__(self, kernel, alpha, *, kernel_dtype=np.float64, overwrite=False):
        A = _regularised(kernel, alpha, overwrite)
        norm, scale = _one_norm(A), np.mean(np.diagonal(A)) - alpha
        factor, info = scipy.linalg.lapack.dpotrf(A, lower=True, clean=False,
                                                  overwrite_a=True)
        if info > 0:
            raise _singular(f"is not positive definite (the Cholesky factorisation "
                            f"failed at row {info - 1})", alpha, kernel_dtype, scale)
        rcond, _ = scipy.linalg.lapack.dpocon(factor, norm, uplo="L")
        _check_conditioning(rcond, np.finfo(np.float64).eps, alpha, kernel_dtype,
                            "the reciprocal of its condition number (estimated)", scale)
        #: Lower triangle: ``L``; upper triangle: what was there (LAPACK reads only L).
        self.factor = factor

    def apply(self, B):
        """``A^-1 B``."""
        return scipy.linalg.cho_solve((self.factor, True), B, check_finite=False)

    def whiten(self, B):
        """``L^-1 B``, so that ``B^T A^-1 B = W^T W``."""
        return scipy.linalg.solve_triangular(self.factor, B, lower=True, check_finite=False)

    def log_det(self):
        """``log |A| = 2 sum_i log L_ii``."""
        return 2 * float(np.sum(np.log(np.diagonal(self.factor))))

    def log_marginal_likelihood(self, Y, dual_coef=None):
        """``log p(Y | X)`` of independent GP outputs, summed over outputs.

        ``-1/2 y^T A^-1 y - 1/2 log|A| - n/2 log 2 pi`` per output (R&W Alg.
        2.1, line 8).

        Parameters
        ----------
        Y : ndarray of shape (n, n_outputs)
        dual_coef : ndarray of shape (n, n_outputs) or None
            ``A^-1 Y`` when already at hand.

        Examples
        --------
        >>> import numpy as np
        >>> post = ExactPosterior(np.array([[1.0]]), alpha=0.0)
        >>> round(post.log_marginal_likelihood(np.array([[1.0]])), 6)  # log N(1; 0, 1)
        -1.418939
        """
        n, n_outputs = Y.shape
        dual_coef = self.apply(Y) if dual_coef is None else dual_coef
        fit = -0.5 * np.einsum("ik,ik->", Y, dual_coef)
        return float(fit - 0.5 * n_outputs * self.log_det()
                     - 0.5 * n * n_outputs * np.log(2 * np.pi))


class FlowPosterior:
    """``h_t(A)`` of gradient flow at a finite time through ``A = V diag(lam) V^T``.

    Parameters
    ----------
    kernel : ndarray of shape (n, n)
        Symmetric train-train kernel.
    alpha : float
        Value added to the diagonal.
    t : float
        Training time (learning rate 1).
    n_targets : int
        ``N``, the number of target entries, which divides the rate.
    kernel_dtype : dtype, default=float64
        The precision the kernel was computed in (see `ExactPosterior`).
    overwrite : bool, default=False
        Decompose a float64 ``kernel`` in place (it is destroyed).

    Raises
    ------
    numpy.linalg.LinAlgError
        If the smallest eigenvalue of ``A`` is below ``n * eps64`` times its
        largest (rounding level of the eigensolver).

    Warns
    -----
    scipy.linalg.LinAlgWarning
        If it is below the ``eps`` of ``kernel_dtype`` (float32) times the largest.

    Examples
    --------
    >>> import numpy as np
    >>> post = FlowPosterior(np.array([[2.0, 1.0], [1.0, 2.0]]), alpha=1.0, t=0.0,
    ...                      n_targets=2)
    >>> post.eigenvalues, post.weights  # nothing learnt at t = 0
    (array([2., 4.]), array([0., 0.]))
    """

    def __init__(self, kernel, alpha, t, n_targets, *, kernel_dtype=np.float64,
                 overwrite=False):
        A = _regularised(kernel, alpha, overwrite)
        # "evr" (relatively robust representations) needs about 2 n^2 of workspace
        # where the divide-and-conquer driver of numpy's eigh needs 4 n^2
        lam, V = scipy.linalg.eigh(A, overwrite_a=True, driver="evr", check_finite=False)
        del A
        scale = lam.mean() - alpha  # the mean of the kernel's diagonal
        if lam[0] <= 0:
            raise _singular(f"is not positive definite: its smallest eigenvalue is "
                            f"{lam[0]:.3g}", alpha, kernel_dtype, scale)
        _check_conditioning(lam[0] / lam[-1], len(lam) * np.finfo(np.float64).eps, alpha,
                            kernel_dtype, "its smallest eigenvalue over its largest", scale)
        self.eigenvalues, self.eigenvectors = lam, V
        self.weights = flow_weights(lam, t, n_targets)

    def apply(self, B):
        """``h_t(A) B = V diag(h_t(lam)) V^T B``."""
        V = self.eigenvectors
        return V @ (self.weights[:, None] * (V.T @ B))

    def whiten(self, B):
        """``diag(sqrt(h_t(lam))) V^T B``, so that ``B^T h_t(A) B = W^T W``."""
        return np.sqrt(self.weights)[:, None] * (self.eigenvectors.T @ B)


def posterior(kernel, alpha, t=None, n_targets=1, *, kernel_dtype=np.float64,
              overwrite=False):
    """The factorised ``A = kernel + alpha I`` for training time ``t``.

    The solver is chosen here, once: `ExactPosterior` (Cholesky) for
    ``t=None``, `FlowPosterior` (eigendecomposition) for a finite ``t``.

    Examples
    --------
    >>> import numpy as np
    >>> K = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> type(posterior(K, 1.0)).__name__, type(posterior(K, 1.0, t=3.0)).__name__
    ('ExactPosterior', 'FlowPosterior')
    """
    options = dict(kernel_dtype=kernel_dtype, overwrite=overwrite)
    if t is None:
        return ExactPosterior(kernel, alpha, **options)
    return FlowPosterior(kernel, alpha, t, n_targets, **options)


def flow_weights(eigenvalues, t, n_targets):
    """``h_t(lam) = (1 - exp(-lam t / N)) / lam``, or ``1 / lam`` for ``t=None``.

    The gradient-flow filter of neural-tangents' ``gradient_descent_mse_ensemble``
    (its ``-inv_expm1``) at learning rate 1, with the rate divided by the number
    of target entries ``N = n_targets``.

    Examples
    --------
    >>> import numpy as np
    >>> flow_weights(np.array([1.0, 4.0]), None, 2)
    array([1.  , 0.25])
    >>> flow_weights(np.array([1.0, 4.0]), 0.0, 2)
    array([0., 0.])
    """
    if t is None:
        return 1 / eigenvalues
    return -np.expm1(-eigenvalues * t / n_targets) / eigenvalues


def nngp_covariance(nngp_test, nngp_test_train, solver):
    """GP posterior covariance ``P_TT - P_TD h(A) P_DT`` (R&W Alg. 2.1, l. 5-6).

    Parameters
    ----------
    nngp_test : ndarray of shape (n_test, n_test) or (n_test,)
        The test-test NNGP, or only its diagonal.
    nngp_test_train : ndarray of shape (n_test, n_train)
    solver : ExactPosterior or FlowPosterior
        ``h(A)`` of ``A = P_DD + alpha I``: ``A^-1`` for the exact GP.

    Returns
    -------
    ndarray of shape (n_test, n_test) or (n_test,)
        The covariance, or its diagonal when ``nngp_test`` is a diagonal.
    """
    W = solver.whiten(nngp_test_train.T)
    if nngp_test.ndim == 1:
        return nngp_test - np.einsum("ij,ij->j", W, W)
    return nngp_test - W.T @ W


def ntk_covariance(nngp_test, nngp_test_train, ntk_test_train, nngp_train, solver):
    """Covariance over initialisations of the network trained by gradient flow.

    With ``B = h_t(A) Theta_DT`` (``A = Theta_DD + alpha I``), the outputs at
    time ``t`` are Gaussian with (Lee et al. 2019, the Gaussian process of the
    trained linearised network; the ``get="ntk"`` covariance of neural-tangents'
    ``gradient_descent_mse_ensemble``)::

        Sigma = P_TT + B^T P_DD B - P_TD B - B^T P_DT

    where ``P_DD`` is the unregularised train NNGP: the spread of the outputs
    at initialisation, propagated by training.

    Parameters
    ----------
    nngp_test : ndarray of shape (n_test, n_test) or (n_test,)
        The test-test NNGP, or only its diagonal.
    nngp_test_train, ntk_test_train : ndarray of shape (n_test, n_train)
    nngp_train : ndarray of shape (n_train, n_train)
    solver : ExactPosterior or FlowPosterior
        ``h_t(A)``.

    Returns
    -------
    ndarray of shape (n_test, n_test) or (n_test,)
        The covariance, or its diagonal when ``nngp_test`` is a diagonal.
    """
    B = solver.apply(ntk_test_train.T)
    cross = nngp_test_train @ B  # P_TD B
    if nngp_test.ndim == 1:
        return (nngp_test + np.einsum("ij,ij->j", B, nngp_train @ B)
                - 2 * np.diagonal(cross))
    return nngp_test + B.T @ nngp_train @ B - cross - cross.T


class NNGPModel:
    """The Bayesian network: exact GP regression with the NNGP.

    The object an estimator keeps after `fit`: the factorised train kernel
    (``solver``) and the dual coefficients ``h(A) Y``. `NTKModel` differs only
    in the kernel it is trained with and in its covariance.

    Parameters
    ----------
    kernels : dict of str to ndarray of shape (n, n)
        The train kernels named in ``train_kinds``; the one of ``kind`` is
        factorised in place when it is float64.
    alpha : float
        Value added to the diagonal of that kernel.
    targets : ndarray of shape (n, n_outputs)
    t : float or None, default=None
        Training time; None is the exact posterior (`ExactPosterior`).
    kernel_dtype : dtype, default=float64
        The precision the kernels were computed in.
    """

    #: The kernel the model is trained with (and its mean uses).
    kind = "nngp"
    #: The train kernels `fit` needs.
    train_kinds = ("nngp",)
    #: Whether ``alpha`` is the NNGP's noise variance (so the NNGP's marginal
    #: likelihood may learn it), rather than a ridge on another kernel.
    alpha_is_noise = True

    def __init__(self, kernels, alpha, targets, t=None, kernel_dtype=np.float64):
        self.solver = posterior(kernels[self.kind], alpha, t, targets.size,
                                kernel_dtype=kernel_dtype, overwrite=True)
        self.dual_coef = self.solver.apply(targets)

    def nngp_log_marginal_likelihood(self, targets):
        """``log p(targets)`` under the NNGP with noise ``alpha``: the solver's own."""
        return self.solver.log_marginal_likelihood(targets, self.dual_coef)

    def test_kinds(self, covariance):
        """The test-train kernels needed for the mean (and the covariance if asked)."""
        return self.train_kinds if covariance else (self.kind,)

    def mean(self, test_train):
        """Posterior mean ``K_TD h(A) Y`` from the test-train kernels."""
        return test_train[self.kind] @ self.dual_coef

    def covariance(self, nngp_test, test_train):
        """See `nngp_covariance`."""
        return nngp_covariance(nngp_test, test_train["nngp"], self.solver)


class NTKModel(NNGPModel):
    """The network trained by gradient descent: mean from the NTK, covariance from both.

    Parameters are those of `NNGPModel`; it also keeps the train NNGP, the
    spread of the outputs at initialisation (see `ntk_covariance`).
    """

    kind = "ntk"
    train_kinds = ("nngp", "ntk")
    alpha_is_noise = False

    def __init__(self, kernels, alpha, targets, t=None, kernel_dtype=np.float64):
        super().__init__(kernels, alpha, targets, t, kernel_dtype)
        self.nngp_train = np.asarray(kernels["nngp"], dtype=np.float64)
        self.alpha = alpha

    def nngp_log_marginal_likelihood(self, targets):
        """``log p(targets)`` under the same network's NNGP, ``alpha`` as its noise
        (another factorisation: the model's own is of the NTK); ``-inf`` if the
        NNGP plus ``alpha`` is not positive definite."""
        try:
            return ExactPosterior(self.nngp_train, self.alpha).log_marginal_likelihood(targets)
        except np.linalg.LinAlgError:
            return -np.inf

    def covariance(self, nngp_test, test_train):
        """See `ntk_covariance`."""
        return ntk_covariance(nngp_test, test_train["nngp"], test_train["ntk"],
                              self.nngp_train, self.solver)


def clipped_variance(variance, prior, kernel_dtype):
    """Negative variances from rounding set to 0, with a warning beyond rounding level.

    As scikit-learn's GPR, which warns when it clips; variances above
    ``-eps * prior`` (``eps`` of the kernel dtype, ``prior`` the test points'
    prior variance) are rounding of a zero and are clipped silently.
    """
    noise = np.finfo(kernel_dtype).eps * np.abs(prior)
    if np.any(variance < -noise):
        warn(
            f"Predicted variances smaller than 0 (down to {variance.min():.3g}) were set "
            "to 0. The train kernel may be nearly singular: increase 'alpha'"
            + (" or use dtype='float64'." if np.dtype(kernel_dtype) != np.float64 else "."),
            RuntimeWarning)
    return np.clip(variance, 0, None)


#: Gauss-Hermite nodes for the expectation over a standard normal in
#: `max_probabilities` (probabilists' weight ``exp(-z**2 / 2)``).
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(48)


def max_probabilities(mean, std):
    """Probability that each output is the largest, for independent Gaussian outputs.

    For outputs ``f_c ~ N(mean_c, std**2)``, independent with a common
    standard deviation (the classifiers' posterior)::

        P(f_c = max_k f_k) = E_z [ prod_{k != c} Phi((mean_c - mean_k) / std + z) ]

    with ``z`` standard normal (condition on ``f_c = mean_c + std z``). The
    expectation is a Gauss-Hermite quadrature: deterministic, and its
    integrand is smooth on the scale of ``z`` whatever ``std`` is. A larger mean
    always gets a larger probability (each factor grows with ``mean_c``), so the
    most probable class is the one with the largest mean. Rows are normalised
    to sum to 1; ``std=0`` gives the argmax with ties shared.

    Each pair of classes costs one ``erfc`` per node: with ``d`` the pair's
    scaled gap, ``c``'s factor is ``Phi(d + z_j)`` and ``k``'s is
    ``Phi(-d + z_j) = 1 - Phi(d + z_{J-1-j})``, since the nodes are symmetric
    (``z_{J-1-j} = -z_j``); and ``Phi(x)`` and ``1 - Phi(x)`` are
    ``erfc(|x| / sqrt 2) / 2`` and one minus it, each computed without
    cancelling in its small tail, as scipy's ``ndtr`` does.

    Parameters
    ----------
    mean : ndarray of shape (n, n_outputs)
    std : ndarray of shape (n,)

    Returns
    -------
    ndarray of shape (n, n_outputs)

    Examples
    --------
    >>> import numpy as np
    >>> max_probabilities(np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),
    ...                   np.array([1.0, 0.0])).round(6)
    array([[0.333333, 0.333333, 0.333333],
           [1.      , 0.      , 0.      ]])
    """
    n, outputs = mean.shape
    scale = np.maximum(std, np.finfo(np.float64).tiny)[:, None]
    factors = np.ones((outputs, n, len(_NODES)))  # prod_{k != c} of each class c
    # scipy's erfc, not JAX's: eager JAX would compile a dozen tiny programs for
    # every new shape of the gaps
    with np.errstate(over="ignore"):  # std=0: gaps of +-inf
        for c, k in itertools.combinations(range(outputs), 2):
            x = (mean[:, c:c + 1] - mean[:, k:k + 1]) / scale + _NODES
            tail = erfc(np.abs(x) / np.sqrt(2)) / 2  # Phi(-|x|)
            below = x < 0
            factors[c] *= np.where(below, tail, 1 - tail)  # Phi(x)
            factors[k] *= np.where(below, 1 - tail, tail)[:, ::-1]  # 1 - Phi(x), nodes mirrored
    probabilities = (factors @ _WEIGHTS).T / np.sqrt(2 * np.pi)
    return probabilities / probabilities.sum(axis=1, keepdims=True)
