"""Posteriors of infinitely wide networks from their kernels, in float64.

Notation: ``P`` is the NNGP and ``Theta`` the NTK; ``D`` the training inputs
and ``T`` the test inputs; ``Y`` the ``(n_train, n_outputs)`` targets and
``N = Y.size`` the number of target entries. The kernel a model is trained
with, ``K`` (``P`` for the Bayesian network, ``Theta`` for gradient descent),
is factorised once with its diagonal regulariser::

    A = K_DD + alpha I = V diag(lam) V^T

and every posterior is a spectral function of ``A``: gradient flow on the
mean squared error ``||f(D) - Y||^2 / (2 N)`` with learning rate 1 for a time
``t`` applies (Lee et al. 2019, "Wide neural networks of any depth evolve as
linear models under gradient descent", sec. 2; neural-tangents'
``predict.gradient_descent_mse_ensemble``)::

    h_t(lam) = (1 - exp(-lam t / N)) / lam,        h_inf(lam) = 1 / lam

so ``h_inf(A) = A^-1``: infinite time is kernel regression. The
eigendecomposition replaces the Cholesky factor of Rasmussen & Williams'
Alg. 2.1 so that one factorisation serves both finite and infinite times.
"""

import jax
import numpy as np
from jax.scipy.special import ndtr


def factorize(kernel, alpha):
    """Eigendecomposition of the regularised train kernel ``A = K + alpha I``.

    Parameters
    ----------
    kernel : ndarray of shape (n, n)
        Symmetric train-train kernel.
    alpha : float
        Value added to the diagonal.

    Returns
    -------
    eigenvalues : ndarray of shape (n,)
        Ascending, all positive.
    eigenvectors : ndarray of shape (n, n)
        Orthonormal columns.

    Raises
    ------
    numpy.linalg.LinAlgError
        If ``A`` is not numerically positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> lam, V = factorize(np.array([[2.0, 1.0], [1.0, 2.0]]), alpha=1.0)
    >>> lam
    array([2., 4.])
    """
    A = np.array(kernel, dtype=np.float64)
    A[np.diag_indices_from(A)] += alpha
    eigenvalues, eigenvectors = np.linalg.eigh(A)
    # Eigenvalues below this are rounding noise: A is singular or indefinite.
    tol = len(A) * np.finfo(np.float64).eps * max(eigenvalues[-1], 0.0)
    if not eigenvalues[0] > tol:
        raise np.linalg.LinAlgError(
            f"The train kernel plus alpha * I is not positive definite: its "
            f"smallest eigenvalue is {eigenvalues[0]:.3g} (alpha={alpha:g}). Some "
            "training sequences may be duplicates or indistinguishable to this "
            "architecture. Try gradually increasing the 'alpha' parameter."
        )
    return eigenvalues, eigenvectors


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


def spectral_apply(eigenvectors, weights, B):
    """``V diag(weights) V^T B``: a spectral function of ``A`` times ``B``."""
    return eigenvectors @ (weights[:, None] * (eigenvectors.T @ B))


def nngp_covariance(nngp_test, nngp_test_train, eigenvectors, weights):
    """Exact GP posterior covariance ``P_TT - P_TD A^-1 P_DT`` (R&W Alg. 2.1, l. 5-6).

    Parameters
    ----------
    nngp_test : ndarray of shape (n_test, n_test) or (n_test,)
        The test-test NNGP, or only its diagonal.
    nngp_test_train : ndarray of shape (n_test, n_train)
    eigenvectors, weights : ndarray
        ``V`` and ``1 / lam`` of ``A = P_DD + alpha I``.

    Returns
    -------
    ndarray of shape (n_test, n_test) or (n_test,)
        The covariance, or its diagonal when ``nngp_test`` is a diagonal.
    """
    W = np.sqrt(weights)[:, None] * (eigenvectors.T @ nngp_test_train.T)
    if nngp_test.ndim == 1:
        return nngp_test - np.einsum("ij,ij->j", W, W)
    return nngp_test - W.T @ W


def ntk_covariance(nngp_test, nngp_test_train, ntk_test_train, nngp_train,
                   eigenvectors, weights):
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
    eigenvectors, weights : ndarray
        ``V`` and ``h_t(lam)`` of ``A``.

    Returns
    -------
    ndarray of shape (n_test, n_test) or (n_test,)
        The covariance, or its diagonal when ``nngp_test`` is a diagonal.
    """
    B = spectral_apply(eigenvectors, weights, ntk_test_train.T)
    cross = nngp_test_train @ B  # P_TD B
    if nngp_test.ndim == 1:
        return (nngp_test + np.einsum("ij,ij->j", B, nngp_train @ B)
                - 2 * np.diagonal(cross))
    return nngp_test + B.T @ nngp_train @ B - cross - cross.T


def log_marginal_likelihood(eigenvalues, y, dual_coef):
    """``log p(Y | X)`` of independent GP outputs, summed over outputs.

    ``-1/2 y^T A^-1 y - 1/2 log|A| - n/2 log 2 pi`` per output (R&W Alg. 2.1,
    line 8), with ``log|A| = sum(log lam)`` and ``dual_coef = A^-1 Y``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1.0]])  # one sample, prior variance 1: log N(1; 0, 1)
    >>> round(log_marginal_likelihood(np.array([1.0]), y, y), 6)
    -1.418939
    """
    n, n_outputs = y.shape
    fit = -0.5 * np.einsum("ik,ik->", y, dual_coef)
    complexity = -0.5 * n_outputs * np.sum(np.log(eigenvalues))
    return float(fit + complexity - 0.5 * n * n_outputs * np.log(2 * np.pi))


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
    scale = np.maximum(std, np.finfo(np.float64).tiny)[:, None, None]
    probabilities = np.empty_like(mean, dtype=np.float64)
    with jax.enable_x64(True), np.errstate(over="ignore"):  # std=0: gaps of +-inf
        for c in range(mean.shape[1]):
            gap = (mean[:, c:c + 1] - np.delete(mean, c, axis=1))[:, :, None] / scale
            cdf = np.asarray(ndtr(gap + _NODES))  # (n, n_outputs - 1, nodes)
            probabilities[:, c] = cdf.prod(axis=1) @ _WEIGHTS / np.sqrt(2 * np.pi)
    return probabilities / probabilities.sum(axis=1, keepdims=True)
