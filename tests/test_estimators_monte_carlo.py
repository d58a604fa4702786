"""Estimators with ``kernel_method="monte_carlo"``: standard 1/sqrt(d) softmax
attention, and kernels that stay those of one set of sampled networks across
fit, predict, refits and persistence."""

import io

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone

from synthetic import padded_sequences
from skattn import AttentionNNGPRegressor, AttentionNTKClassifier, AttentionNTKRegressor
from skattn.kernels import Dense, GlobalAvgPool, SelfAttention, serial
from skattn.networks import monte_carlo_kernel

#: Small sampled networks in float32, 1/sqrt(d) softmax attention: compilations
#: shared by the tests.
ARCHITECTURE = serial(Dense(), SelfAttention(scaling="sqrt", positional="sum"),
                      GlobalAvgPool(), Dense())
MC = dict(architecture=ARCHITECTURE, kernel_method="monte_carlo", width=8, n_heads=2,
          n_samples=4, dtype="float32")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = padded_sequences(rng, 16, 4, 2).astype(np.float32)
    y = np.nanmean(X[:, :, 0], axis=1)
    return X[:12], X[12:], y[:12]


def test_sqrt_softmax_predictions_are_those_of_the_seeded_networks(data):
    X, X_test, y = data
    reg = AttentionNTKRegressor(**MC, random_state=3).fit(X, y)
    again = AttentionNTKRegressor(**MC, random_state=3).fit(X, y)
    assert_array_equal(again.predict(X_test), reg.predict(X_test))
    other = AttentionNTKRegressor(**MC, random_state=4).fit(X, y)
    assert not np.allclose(other.predict(X_test), reg.predict(X_test))
    # the prediction is the Monte Carlo NTK of those networks times the dual coefficients
    K = monte_carlo_kernel(ARCHITECTURE, X_test, X, width=8, n_heads=2, n_samples=4,
                           random_state=3, get="ntk")
    assert_allclose(reg.predict(X_test), K @ reg.dual_coef_[:, 0], rtol=1e-4, atol=1e-6)


def test_unseeded_fit_keeps_its_networks_for_predict(data):
    """random_state=None draws the networks at fit; predict uses them again for
    the cross kernel and the diagonal, so the noise-free NNGP posterior
    interpolates its training targets with no variance left (other networks
    would leave both an error and a variance)."""
    X, _, y = data
    reg = AttentionNNGPRegressor(**MC, alpha=1e-8).fit(X, y)
    assert isinstance(reg.kernel_seed_, int)
    mean, std = reg.predict(X, return_std=True)
    assert_allclose(mean, y, atol=1e-3)
    assert np.all(std < 1e-2 * np.std(y))


def test_persistence_and_clone_keep_the_kernels(data):
    X, X_test, y = data
    labels = np.where(y > 0, "up", "down")
    clf = AttentionNTKClassifier(**MC, random_state=0).fit(X, labels)
    buffer = io.BytesIO()
    joblib.dump(clf, buffer)
    buffer.seek(0)
    loaded = joblib.load(buffer)
    assert_array_equal(loaded.decision_function(X_test), clf.decision_function(X_test))
    refit = clone(clf).fit(X, labels)
    assert_array_equal(refit.decision_function(X_test), clf.decision_function(X_test))


def test_kernel_method_is_validated():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="kernel_method"):
        AttentionNNGPRegressor(kernel_method="sampled").fit(np.ones((2, 3)), [0, 1])
    with pytest.raises(InvalidParameterError, match="'width' parameter"):
        AttentionNNGPRegressor(kernel_method="monte_carlo", width=0).fit(np.ones((2, 3)), [0, 1])
