"""Calibrated probabilities: leave-one-out in closed form, the fitted scale, digits vs SVC."""

import warnings

import numpy as np
import pytest
import scipy.linalg
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from skattn import AttentionNNGPClassifier, AttentionNTKClassifier, _calibration, _inference


def random_kernel(rng, n):
    F = rng.normal(size=(n, n + 3))
    return F @ F.T / n


@pytest.mark.parametrize("alpha", [0.0, 1e-3, 0.3])
@pytest.mark.parametrize("factorisation", ["cholesky", "eigh"])
def test_leave_one_out_is_refitting_without_each_sample(alpha, factorisation):
    """R&W eq. 5.12 against n GP fits, each on the other n - 1 samples."""
    rng = np.random.default_rng(0)
    n = 9
    K = random_kernel(rng, n)
    Y = rng.normal(size=(n, 3))
    if factorisation == "cholesky":
        solver = _inference.posterior(K, alpha)
        mean, var = _calibration.exact_leave_one_out(solver, alpha, Y, solver.apply(Y))
    else:
        lam, V = np.linalg.eigh(K + alpha * np.eye(n))
        mean, var = _calibration.spectral_leave_one_out(lam, V, 1 / lam, alpha, None, Y)
    for i in range(n):
        rest = np.arange(n) != i
        A = K[np.ix_(rest, rest)] + alpha * np.eye(n - 1)
        k = K[i, rest]
        assert_allclose(mean[i], k @ np.linalg.solve(A, Y[rest]), rtol=1e-7, atol=1e-9)
        assert_allclose(var[i], K[i, i] - k @ np.linalg.solve(A, k), rtol=1e-7, atol=1e-9)


def test_exact_leave_one_out_in_blocks_of_columns(monkeypatch):
    rng = np.random.default_rng(5)
    K = random_kernel(rng, 7)
    Y = rng.normal(size=(7, 2))
    solver = _inference.posterior(K, 0.1)
    whole = _calibration.exact_leave_one_out(solver, 0.1, Y, solver.apply(Y))
    monkeypatch.setattr(_calibration, "_COLUMNS", 3)
    blocks = _calibration.exact_leave_one_out(solver, 0.1, Y, solver.apply(Y))
    assert_allclose(blocks[0], whole[0], rtol=1e-12)
    assert_allclose(blocks[1], whole[1], rtol=1e-12)


def test_leave_one_out_at_a_finite_time_is_the_linear_smoother_formula():
    """At time t: y_i - (y - S y)_i / (1 - S_ii) and v_i / (1 - S_ii), S = K h_t(A)."""
    rng = np.random.default_rng(1)
    n, alpha, t = 7, 0.1, 3.0
    K = random_kernel(rng, n)
    Y = rng.normal(size=(n, 2))
    A = K + alpha * np.eye(n)
    h = (np.eye(n) - scipy.linalg.expm(-A * t / Y.size)) @ np.linalg.inv(A)
    S = K @ h
    G = np.eye(n) - S
    solver = _inference.posterior(K, alpha, t, Y.size)
    mean, var = _calibration.spectral_leave_one_out(
        solver.eigenvalues, solver.eigenvectors, solver.weights, alpha, t, Y)
    assert_allclose(mean, Y - (G @ Y) / np.diag(G)[:, None], rtol=1e-9)
    assert_allclose(var, np.diag(K - K @ h @ K) / np.diag(G), rtol=1e-9)


def test_fitted_scale_minimises_the_leave_one_out_log_loss():
    rng = np.random.default_rng(2)
    mean = rng.normal(size=(40, 3))
    var = rng.uniform(0.5, 2.0, size=40)
    codes = np.where(rng.random(40) < 0.7, mean.argmax(axis=1), rng.integers(0, 3, 40))
    tau = _calibration.fit_scale(mean, var, codes)

    def loss(scale):
        return _calibration.log_loss(_inference.max_probabilities(mean, scale * np.sqrt(var)),
                                     codes)

    assert loss(tau) < min(loss(tau * 1.05), loss(tau / 1.05))
    # right 3 times in 4 with a constant gap: the probability is 3/4
    tau = _calibration.fit_scale(np.array([[0.5, -0.5]] * 4), np.ones(4), np.array([0, 0, 0, 1]))
    p = _inference.max_probabilities(np.array([[0.5, -0.5]]), np.array([tau]))
    assert_allclose(p, [[0.75, 0.25]], atol=1e-4)


@pytest.mark.parametrize("cls", [AttentionNNGPClassifier, AttentionNTKClassifier])
@pytest.mark.parametrize("t", [None, 2.0])
def test_predict_proba_is_the_model_kernel_posterior_with_the_fitted_scale(cls, t):
    """predict_proba from kernels and algebra written out here, not the estimator's."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(14, 3, 2))
    X_test = rng.normal(size=(4, 3, 2))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 14)]
    if cls is AttentionNNGPClassifier and t is not None:
        pytest.skip("the NNGP has no training time")
    extra = {} if t is None else dict(t=t)
    clf = cls(n_blocks=1, positional="sum", alpha=1e-3, **extra).fit(X, y)
    kind = "nngp" if cls is AttentionNNGPClassifier else "ntk"
    A = clf.compute_kernel(X, kind=kind) + 1e-3 * np.eye(14)
    h = np.linalg.inv(A)
    if t is not None:
        h = (np.eye(14) - scipy.linalg.expm(-A * t / clf.y_train_.size)) @ h
    K_TD = clf.compute_kernel(X_test, X, kind=kind)
    var = np.diag(clf.compute_kernel(X_test, kind=kind) - K_TD @ h @ K_TD.T)
    mean = K_TD @ h @ clf.y_train_
    assert_allclose(clf.decision_function(X_test), mean, rtol=1e-8, atol=1e-10)
    expected = _inference.max_probabilities(mean, clf.proba_scale_ * np.sqrt(var))
    assert_allclose(clf.predict_proba(X_test), expected, rtol=1e-6, atol=1e-9)
    assert 0 < clf.proba_scale_ < np.exp(25)


def test_leave_one_out_that_is_always_wrong_gives_flat_probabilities():
    """Twins with opposite labels: left out, each sequence gets its twin's label."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(10, 3, 2))
    X = np.concatenate([X, X + 0.05 * rng.normal(size=X.shape)])
    y = np.repeat([0, 1], 10)
    clf = AttentionNTKClassifier(n_blocks=1, alpha=1e-3).fit(X, y)
    assert clf.score(X, y) == 1
    assert_allclose(clf.predict_proba(X), 0.5, atol=0.02)


@pytest.fixture(scope="module")
def digits():
    """The README's split (8 rows of 8 pixels, random_state=0), trained on 800 of its
    1347 training digits: the kernels cost half as much, and both classifiers see the
    same 800 (on all 1347 the log-losses are 0.044 and 0.092; on these 800, 0.060 and
    0.150)."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X.reshape(-1, 8, 8) / 16, y,
                                                        random_state=0)
    return X_train[:800], X_test, y_train[:800], y_test


@pytest.fixture(scope="module")
def svc_log_loss(digits):
    X_train, X_test, y_train, y_test = digits
    with warnings.catch_warnings():  # probability=True is deprecated in scikit-learn 1.9
        warnings.simplefilter("ignore", FutureWarning)
        svc = SVC(probability=True, random_state=0)
        svc.fit(X_train.reshape(len(X_train), -1), y_train)
    return log_loss(y_test, svc.predict_proba(X_test.reshape(len(X_test), -1)))


def test_digits_probabilities_beat_svc_and_are_never_sure_of_a_mistake(digits, svc_log_loss):
    """The NTK classifier of the README; both classifiers and ArrowHead: benchmarks/calibration.py."""
    X_train, X_test, y_train, y_test = digits
    clf = AttentionNTKClassifier(n_blocks=2, positional="sum", val_pos_emb=True)
    clf.fit(X_train, y_train)
    proba = clf.predict_proba(X_test)
    wrong = clf.classes_[proba.argmax(axis=1)] != y_test
    assert 0 < wrong.sum() < 10
    assert log_loss(y_test, proba) <= svc_log_loss
    assert proba.max(axis=1)[wrong].max() < 0.999
