"""The posterior algebra: dense numpy formulas, integrated gradient flow, neural-tangents."""

import json
import pathlib
import warnings

import numpy as np
import pytest
import scipy.linalg
from numpy.testing import assert_allclose, assert_array_equal

from skattn import AttentionNNGPRegressor, AttentionNTKRegressor, _inference
from skattn.kernels import TRANSFORMER_DEFAULTS

NT_PREDICT = pathlib.Path(__file__).parent / "data" / "nt_predict_reference.npz"


def assert_relative(actual, reference, rtol):
    """Agreement to ``rtol`` relative to the largest entry of ``reference``."""
    assert_allclose(actual, reference, rtol=rtol, atol=rtol * np.abs(reference).max())


def random_problem(seed, n_train=7, n_test=4, n_outputs=2):
    """PSD NNGP- and NTK-like kernels over train and test points, and targets."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    F, G = rng.normal(size=(n, 12)), rng.normal(size=(n, 15))
    nngp = F @ F.T / 12
    ntk = nngp + G @ G.T / 15
    train, test = slice(0, n_train), slice(n_train, n)
    y = rng.normal(size=(n_train, n_outputs))
    return nngp, ntk, train, test, y


def rk4(velocity, start, t, n_steps):
    """Integrate ``dx/ds = velocity(x)`` from ``start`` over ``[0, t]`` (classical RK4)."""
    x, h = start, t / n_steps
    for _ in range(n_steps):
        k1 = velocity(x)
        k2 = velocity(x + h / 2 * k1)
        k3 = velocity(x + h / 2 * k2)
        k4 = velocity(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def integrate_flow(K_train, K_test_train, y, t, n_steps=2000):
    """Train and test outputs of gradient flow ``df/ds = -K (f_D - y) / y.size`` by RK4.

    Independent of the eigendecomposition; ``K_train`` includes the regulariser.
    """
    K = np.vstack([K_train, K_test_train])
    n_train = len(K_train)

    def velocity(f):
        return -K @ (f[:n_train] - y) / y.size

    f = rk4(velocity, np.zeros((len(K), y.shape[1])), t, n_steps)
    return f[:n_train], f[n_train:]


def integrate_filter(A, t, n_targets, n_steps=2000):
    """``h_t(A) = A^-1 (1 - exp(-A t / N))`` by RK4 on ``dM/ds = (I - A M) / N``."""
    eye = np.eye(len(A))
    return rk4(lambda M: (eye - A @ M) / n_targets, np.zeros_like(A), t, n_steps)


# ----------------------------------------------------------------- factorize


def test_factorisations_reconstruct_the_regularised_kernel():
    nngp, _, train, _, _ = random_problem(0)
    A = nngp[train, train] + 0.1 * np.eye(7)
    flow = _inference.posterior(nngp[train, train], 0.1, t=2.0, n_targets=3)
    lam, V = flow.eigenvalues, flow.eigenvectors
    assert np.all(np.diff(lam) >= 0) and lam[0] > 0
    assert_allclose(V @ np.diag(lam) @ V.T, A, atol=1e-12)
    exact = _inference.posterior(nngp[train, train], 0.1)
    L = np.tril(exact.factor)
    assert_allclose(L @ L.T, A, atol=1e-12)
    assert exact.log_det() == pytest.approx(np.linalg.slogdet(A)[1], rel=1e-12)


def test_exact_posterior_factorises_a_float64_kernel_in_place():
    nngp, _, train, _, y = random_problem(7)
    K = np.ascontiguousarray(nngp[train, train])
    expected = np.linalg.solve(K + 0.01 * np.eye(7), y)
    exact = _inference.ExactPosterior(K, 0.01, overwrite=True)
    assert np.shares_memory(exact.factor, K)  # no n x n copy
    assert_allclose(exact.apply(y), expected, rtol=1e-10)
    kept = nngp[train, train].copy()
    _inference.ExactPosterior(kept, 0.01)
    assert_array_equal(kept, nngp[train, train])


@pytest.mark.parametrize("t", [None, 1.0])
@pytest.mark.parametrize("kernel, why", [
    (np.ones((4, 4)), "not positive definite|numerically singular"),  # rank one
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "not positive definite"),    # indefinite
    (np.diag([1.0, 1e-17]), "numerically singular"),                 # positive, in the noise
])
def test_factorisations_reject_a_kernel_that_is_not_positive_definite(kernel, why, t):
    with pytest.raises(np.linalg.LinAlgError, match=why) as error:
        _inference.posterior(kernel, alpha=0.0, t=t, n_targets=2)
    assert "Try gradually increasing the 'alpha' parameter" in str(error.value)
    assert "dtype='float64'" not in str(error.value)
    mean = np.trace(kernel) / len(kernel)
    assert f"The kernel's diagonal averages {mean:.3g}, and alpha is in its units" \
        in str(error.value)


@pytest.mark.parametrize("t", [None, 1.0])
def test_the_error_gives_the_kernels_scale_against_alpha(t):
    """A deep network without layer normalisation can have kernels of 1e19, where
    alpha=1e-3 is nothing: the error says so."""
    kernel = 1e19 * np.ones((3, 3)) + np.diag([1e3, 0.0, 0.0])
    with pytest.raises(np.linalg.LinAlgError,
                       match=r"diagonal averages 1e\+19, and alpha is in its units"):
        _inference.posterior(kernel, alpha=1e-3, t=t, n_targets=3)


@pytest.mark.parametrize("t", [None, 1.0])
def test_a_float32_kernel_within_its_rounding_noise_warns(t):
    """Well conditioned for float64 arithmetic, but singular within float32's noise."""
    kernel = np.diag([1.0, 1e-9])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _inference.posterior(kernel, 0.0, t, 2)  # fine for a float64 kernel
        _inference.posterior(kernel, 1e-6, t, 2, kernel_dtype=np.float32)  # alpha lifts it
    with pytest.warns(scipy.linalg.LinAlgWarning,
                      match=r"numerically singular.*float32 kernel.*dtype='float64'.*'alpha'"):
        _inference.posterior(kernel, 0.0, t, 2, kernel_dtype=np.float32)


# ------------------------------------------------------------ gradient flow


@pytest.mark.parametrize("t", [0.5, 7.0, 60.0])
def test_flow_mean_matches_integrated_gradient_flow(t):
    _, ntk, train, test, y = random_problem(1)
    alpha = 0.05
    A = ntk[train, train] + alpha * np.eye(7)
    dual = _inference.posterior(ntk[train, train], alpha, t, y.size).apply(y)
    f_train, f_test = integrate_flow(A, ntk[test, train], y, t)
    assert_allclose(A @ dual, f_train, rtol=1e-9, atol=1e-12)
    assert_allclose(ntk[test, train] @ dual, f_test, rtol=1e-9, atol=1e-12)


def test_flow_filter_limits():
    lam = np.array([1e-3, 0.5, 40.0])
    assert_allclose(_inference.flow_weights(lam, None, 6), 1 / lam)
    assert_allclose(_inference.flow_weights(lam, 1e9, 6), 1 / lam)
    # early on every direction learns at the same rate: h_t = t / N
    assert_allclose(_inference.flow_weights(lam, 1e-6, 6), np.full(3, 1e-6 / 6), rtol=1e-5)


# --------------------------------------------------------------- covariances


def test_nngp_covariance_is_the_gp_posterior():
    nngp, _, train, test, _ = random_problem(2)
    alpha = 1e-3
    A = nngp[train, train] + alpha * np.eye(7)
    expected = nngp[test, test] - nngp[test, train] @ np.linalg.solve(A, nngp[train, test])
    # the exact posterior (Cholesky), and the flow's filter at a time long past convergence
    for solver in (_inference.posterior(nngp[train, train], alpha),
                   _inference.posterior(nngp[train, train], alpha, t=1e9, n_targets=1)):
        cov = _inference.nngp_covariance(nngp[test, test], nngp[test, train], solver)
        assert_allclose(cov, expected, atol=1e-10)
        var = _inference.nngp_covariance(np.diag(nngp[test, test]), nngp[test, train], solver)
        assert_allclose(var, np.diag(expected), atol=1e-10)


@pytest.mark.parametrize("t", [None, 3.0])
def test_ntk_covariance_formula(t):
    nngp, ntk, train, test, y = random_problem(3)
    alpha = 1e-2
    A = ntk[train, train] + alpha * np.eye(7)
    solver = _inference.posterior(ntk[train, train], alpha, t, y.size)
    H = np.linalg.inv(A) if t is None else integrate_filter(A, t, y.size)
    B = H @ ntk[train, test]
    expected = (nngp[test, test] + B.T @ nngp[train, train] @ B
                - nngp[test, train] @ B - B.T @ nngp[train, test])
    args = (nngp[test, train], ntk[test, train], nngp[train, train], solver)
    cov = _inference.ntk_covariance(nngp[test, test], *args)
    assert_allclose(cov, expected, atol=1e-9)
    assert_allclose(cov, cov.T, atol=1e-12)
    assert np.linalg.eigvalsh(cov).min() > -1e-9
    assert_allclose(_inference.ntk_covariance(np.diag(nngp[test, test]), *args),
                    np.diag(expected), atol=1e-9)


def test_ntk_covariance_at_time_zero_is_the_prior():
    nngp, ntk, train, test, y = random_problem(4)
    solver = _inference.posterior(ntk[train, train], 1e-3, t=0.0, n_targets=2)
    cov = _inference.ntk_covariance(nngp[test, test], nngp[test, train], ntk[test, train],
                                    nngp[train, train], solver)
    assert_allclose(cov, nngp[test, test], atol=1e-14)


# ------------------------------------------------------- marginal likelihood


def test_log_marginal_likelihood_matches_dense_formula():
    nngp, _, train, _, y = random_problem(5)
    alpha = 0.1
    A = nngp[train, train] + alpha * np.eye(7)
    exact = _inference.ExactPosterior(nngp[train, train], alpha)
    expected = sum(
        -0.5 * y[:, k] @ np.linalg.solve(A, y[:, k]) - 0.5 * np.linalg.slogdet(A)[1]
        - 3.5 * np.log(2 * np.pi)
        for k in range(y.shape[1])
    )
    assert exact.log_marginal_likelihood(y) == pytest.approx(expected, rel=1e-12)
    assert exact.log_marginal_likelihood(y, exact.apply(y)) == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------- class probabilities


def test_max_probabilities_match_monte_carlo():
    rng = np.random.default_rng(6)
    mean = rng.normal(size=(5, 4))
    std = np.array([0.05, 0.3, 1.0, 3.0, 10.0])
    draws = mean + std[:, None] * rng.normal(size=(200_000, 5, 4))
    winners = draws.argmax(axis=-1)
    expected = np.stack([(winners == c).mean(axis=0) for c in range(4)], axis=1)
    proba = _inference.max_probabilities(mean, std)
    assert_allclose(proba, expected, atol=5e-3)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    assert_allclose(np.argmax(proba, axis=1), np.argmax(mean, axis=1))


def _max_probabilities_by_class(mean, std):
    """The quadrature one class at a time, every factor a call of scipy's ndtr: the
    reference for the pairwise form, which computes each pair's factors once."""
    from scipy.special import ndtr

    nodes, weights = _inference._NODES, _inference._WEIGHTS
    proba = np.empty_like(mean)
    for c in range(mean.shape[1]):
        gap = (mean[:, c:c + 1] - np.delete(mean, c, axis=1))[:, :, None] / std[:, None, None]
        proba[:, c] = ndtr(gap + nodes).prod(axis=1) @ weights / np.sqrt(2 * np.pi)
    return proba / proba.sum(axis=1, keepdims=True)


def test_max_probabilities_equal_the_classwise_quadrature_in_the_tails_too():
    rng = np.random.default_rng(7)
    mean = rng.normal(size=(300, 6)) * rng.choice([0.1, 1.0, 10.0], size=(300, 1))
    std = np.exp(rng.uniform(-4, 1, size=300))  # gaps of up to hundreds of std
    proba = _inference.max_probabilities(mean, std)
    reference = _max_probabilities_by_class(mean, std)
    assert proba.min() < 1e-100  # the tails the calibration needs are in the test
    np.testing.assert_array_equal(proba == 0, reference == 0)
    assert_allclose(proba, reference, rtol=1e-11, atol=0)
    np.testing.assert_array_equal(_inference._NODES, -_inference._NODES[::-1])  # mirrored
    # two classes: f_0 - f_1 ~ N(m_0 - m_1, 2 std**2), a closed form
    from scipy.special import ndtr

    pair = _inference.max_probabilities(mean[:, :2], std)
    assert_allclose(pair[:, 0], ndtr((mean[:, 0] - mean[:, 1]) / (np.sqrt(2) * std)),
                    rtol=1e-6, atol=1e-15)


def test_max_probabilities_without_variance_and_with_ties():
    mean = np.array([[0.2, 0.1, -1.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0]])
    proba = _inference.max_probabilities(mean, np.zeros(3))
    assert_allclose(proba, [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-12)
    wide = _inference.max_probabilities(mean, np.full(3, 1e6))
    assert_allclose(wide, np.full((3, 3), 1 / 3), atol=1e-6)


# ------------------------------------------------------------ neural-tangents


def _nt_cases():
    with np.load(NT_PREDICT) as data:
        return [str(c) for c in data["cases"]]


@pytest.fixture(scope="module")
def nt_reference():
    with np.load(NT_PREDICT) as data:
        return {key: data[key] for key in data.files}


def _fit_predict(estimator, case, ref):
    """Mean, std and covariance at the case's test inputs, each (n_test[, n_test], k).

    The cases' parameters are relative to neural-tangents' defaults, which are
    transformer()'s, not the estimators' (those see token order).
    """
    estimator.set_params(**{**TRANSFORMER_DEFAULTS, **json.loads(str(ref[f"{case}/params"]))},
                         alpha=float(ref[f"{case}/alpha"]))
    estimator.fit(ref[f"{case}/x_train"], ref[f"{case}/y_train"])
    x_test = ref[f"{case}/x_test"]
    mean, cov = estimator.predict(x_test, return_cov=True)
    _, std = estimator.predict(x_test, return_std=True)
    if mean.ndim == 1:  # one output: sklearn's squeezed shapes
        mean, std, cov = mean[:, None], std[:, None], cov[:, :, None]
    return mean, std, cov


@pytest.mark.parametrize("case", _nt_cases())
@pytest.mark.parametrize("model", ["nngp", "ntk_inf", "ntk_t"])
def test_posterior_matches_neural_tangents(nt_reference, case, model):
    """gradient_descent_mse_ensemble(diag_reg=alpha, diag_reg_absolute_scale=True)."""
    ref = nt_reference
    if model == "nngp":
        estimator, key = AttentionNNGPRegressor(), "nngp_{}_inf"
    else:
        t = float(ref[f"{case}/t"]) if model == "ntk_t" else None
        estimator, key = AttentionNTKRegressor(t=t), f"ntk_{{}}_{model[4:]}"
    mean, std, cov = _fit_predict(estimator, case, ref)
    nt_mean, nt_cov = ref[f"{case}/" + key.format("mean")], ref[f"{case}/" + key.format("cov")]
    assert_relative(mean, nt_mean, 1e-6)
    for k in range(mean.shape[1]):  # the outputs share NT's covariance
        assert_relative(cov[:, :, k], nt_cov, 1e-6)
        assert_relative(std[:, k], np.sqrt(np.diag(nt_cov)), 1e-6)


@pytest.mark.parametrize("case", _nt_cases())
def test_nngp_gradient_flow_matches_neural_tangents(nt_reference, case):
    """NT's get="nngp" at finite t: the same filter with the NNGP (readout-only training)."""
    ref = nt_reference
    reg = AttentionNNGPRegressor(**{**TRANSFORMER_DEFAULTS,
                                    **json.loads(str(ref[f"{case}/params"]))})
    x_train, y, x_test = (ref[f"{case}/{k}"] for k in ("x_train", "y_train", "x_test"))
    alpha, t = float(ref[f"{case}/alpha"]), float(ref[f"{case}/t"])
    train = reg.compute_kernel(x_train)
    test_train = reg.compute_kernel(x_test, x_train)
    mean = test_train @ _inference.posterior(train, alpha, t, y.size).apply(y)
    # NT: P_TT - P_TD h_2t(A) P_DT, the covariance of the flow from the NNGP prior
    cov = _inference.nngp_covariance(reg.compute_kernel(x_test), test_train,
                                     _inference.posterior(train, alpha, 2 * t, y.size))
    assert_relative(mean, ref[f"{case}/nngp_mean_t"], 1e-6)
    assert_relative(cov, ref[f"{case}/nngp_cov_t"], 1e-6)
