"""Calibrated class probabilities: the posterior's scale, fitted by leave-one-out.

The classifiers regress one-hot targets with a kernel ``K`` (``A = K_DD + alpha I``,
a spectral filter ``h(A)``, notation of :mod:`skattn._inference`). Their
probabilities treat each class's output at ``x`` as Gaussian with the posterior
mean ``m(x)`` and the model's posterior variance scaled by ``tau**2``::

    v(x) = K_xx - K_xD h(A) K_Dx,      P(c) = P(f_c = max_k f_k),  f ~ N(m(x), tau**2 v(x))

(`skattn._inference.max_probabilities`). With the default ``alpha`` the kernel
nearly interpolates its targets, ``v`` is tiny next to the gaps between the
means, and ``tau = 1`` puts probability above 0.999 on almost every point,
wrong ones included. ``tau`` is therefore chosen to minimise the log-loss of the
leave-one-out predictions on the training set, which a linear smoother gives in
closed form (Rasmussen & Williams 2006, sec. 5.4.2, eq. 5.12): with the hat
matrix ``S = K_DD h(A)`` and ``G = I - S``,

    m_-i = y_i - (G Y)_i / G_ii,        v_-i = v_i / G_ii,    v_i = (K_DD G)_ii

exact for the Bayesian posterior (``h(A) = A^-1``, where ``G = alpha A^-1`` and
``v_-i`` is the variance of the latent output without the noise ``alpha``), and
the usual approximation for gradient flow stopped at a finite time.
"""

import numpy as np
from scipy.optimize import minimize_scalar

from ._inference import max_probabilities

#: Search interval of ``log(tau)``: a scale outside it is a degenerate fit.
_LOG_SCALE_BOUNDS = (-25.0, 25.0)


def leave_one_out(targets, residuals, g_diag, kg_diag):
    """Leave-one-out means and variances from ``G Y``, ``G_ii`` and ``(K_DD G)_ii``.

    Any positive multiple of ``G`` gives the same result (module docstring), so
    the exact posterior may pass ``A^-1``: ``residuals = A^-1 Y`` (its dual
    coefficients), ``g_diag = diag(A^-1)`` and ``kg_diag = 1 - alpha g_diag``.

    Parameters
    ----------
    targets, residuals : ndarray of shape (n, n_outputs)
    g_diag, kg_diag : ndarray of shape (n,)

    Returns
    -------
    mean : ndarray of shape (n, n_outputs)
        Each training sample's prediction by the model fitted without it.
    var : ndarray of shape (n,)
        The posterior variance of that model there.

    Examples
    --------
    GP regression with a unit diagonal kernel and noise 0.5 learns nothing about
    one point from the others: leaving one out predicts 0 with the prior variance.

    >>> import numpy as np
    >>> A_inv = np.eye(2) / 1.5
    >>> y = np.array([[1.0], [-1.0]])
    >>> mean, var = leave_one_out(y, A_inv @ y, np.diag(A_inv), 1 - 0.5 * np.diag(A_inv))
    >>> mean.ravel().round(12) + 0, var.round(12)
    (array([0., 0.]), array([1., 1.]))
    """
    return targets - residuals / g_diag[:, None], kg_diag / g_diag


def model_leave_one_out(model, alpha, t, targets):
    """`leave_one_out` of a fitted `skattn._inference.NNGPModel` or ``NTKModel``.

    Its solver is an ``ExactPosterior`` (Cholesky, ``t=None``) or a
    ``FlowPosterior`` (eigendecomposition, finite ``t``).
    """
    solver = model.solver
    if t is None:
        return exact_leave_one_out(solver, alpha, targets, model.dual_coef)
    return spectral_leave_one_out(solver.eigenvalues, solver.eigenvectors, solver.weights,
                                  alpha, t, targets)


#: Columns of the identity whitened at once for ``diag(A^-1)`` (bounds the temporaries).
_COLUMNS = 1024


def exact_leave_one_out(solver, alpha, targets, dual_coef):
    """`leave_one_out` of the exact posterior, from ``A = L L^T``.

    ``diag(A^-1)_i = ||L^-1 e_i||^2``, whitened a block of columns at a time.
    """
    n = len(targets)
    g_diag = np.empty(n)
    for start in range(0, n, _COLUMNS):
        columns = np.eye(n, min(_COLUMNS, n - start), -start)
        g_diag[start:start + _COLUMNS] = np.einsum("ij,ij->j", *(2 * [solver.whiten(columns)]))
    return leave_one_out(targets, dual_coef, g_diag, 1 - alpha * g_diag)


def spectral_leave_one_out(eigenvalues, eigenvectors, weights, alpha, t, targets):
    """`leave_one_out` for a model factorised as ``A = V diag(lam) V^T``.

    ``weights`` is the filter ``h(lam)`` of training time ``t`` (None:
    ``h = 1/lam``, the exact posterior, for which ``G = alpha A^-1`` and ``A^-1``
    is used instead, so that ``alpha = 0`` works too).
    """
    if t is None:
        g = weights
    else:
        g = 1 - (eigenvalues - alpha) * weights
    squares = eigenvectors**2
    residuals = eigenvectors @ (g[:, None] * (eigenvectors.T @ targets))
    return leave_one_out(targets, residuals, squares @ g,
                         squares @ ((eigenvalues - alpha) * g))


def log_loss(proba, codes):
    """Mean negative log-probability of the true classes ``codes`` (0 capped at 1e-300)."""
    return -np.mean(np.log(np.maximum(proba[np.arange(len(codes)), codes], 1e-300)))


def fit_scale(mean, var, codes):
    """The ``tau`` minimising the log-loss of ``max_probabilities(mean, tau * sqrt(var))``.

    Parameters
    ----------
    mean : ndarray of shape (n, n_classes)
        Leave-one-out posterior means.
    var : ndarray of shape (n,)
        Leave-one-out posterior variances.
    codes : ndarray of shape (n,)
        Index of each sample's true class.

    Returns
    -------
    float
        The scale, positive; a one-dimensional bounded search over ``log(tau)``.

    Examples
    --------
    Outputs whose mean gap is right 3 times in 4 want a scale near the gap:

    >>> import numpy as np
    >>> mean = np.array([[0.5, -0.5]] * 4)
    >>> tau = fit_scale(mean, np.ones(4), np.array([0, 0, 0, 1]))
    >>> max_probabilities(mean, tau * np.ones(4))[0].round(3)
    array([0.75, 0.25])
    """
    std = np.sqrt(np.clip(var, 0, None))

    def objective(log_scale):
        return log_loss(max_probabilities(mean, np.exp(log_scale) * std), codes)

    result = minimize_scalar(objective, bounds=_LOG_SCALE_BOUNDS, method="bounded",
                             options=dict(xatol=1e-4))
    return float(np.exp(result.x))
