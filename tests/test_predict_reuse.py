"""A fitted estimator keeps its training set's own pass; predictions walk only new sequences."""

import pickle

import numpy as np
import pytest

from synthetic import padded_sequences
from skattn import AttentionNNGPRegressor, AttentionNTKClassifier
from skattn.kernels import _compute


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = padded_sequences(rng, 30, 5, 2)
    return X[:24], np.nan_to_num(X[:24]).sum(axis=(1, 2)), X[24:]


@pytest.fixture
def walked(monkeypatch):
    """Sequences each call of the own pass received."""
    counts = []
    walk = _compute.walk_tiles

    def counting(layer, values, *args, **kwargs):
        counts.append(len(values))
        return walk(layer, values, *args, **kwargs)

    monkeypatch.setattr(_compute, "walk_tiles", counting)
    return counts


def test_predict_walks_only_the_new_sequences(data, walked):
    X, y, X_test = data
    reg = AttentionNNGPRegressor(n_blocks=1, batch_size=4).fit(X, y)
    assert walked == [24]  # fit: the training set's own pass, once
    walked.clear()
    reg.predict(X_test, return_std=True)
    reg.predict(X_test[:1])
    assert walked == [6, 1]  # each prediction walks its own sequences, no training one


def test_kept_pass_gives_the_kernels_of_a_fresh_walk(data):
    X, y, X_test = data
    clf = AttentionNTKClassifier(n_blocks=1, batch_size=4).fit(X, y > np.median(y))
    proba = clf.predict_proba(X_test)
    assert clf.train_pass_.diagonal["ntk"].shape == (24,)
    old = pickle.loads(pickle.dumps(clf))
    del old.train_pass_  # a model saved before the pass was kept walks its training set
    np.testing.assert_array_equal(old.predict_proba(X_test), proba)


def test_std_from_the_pass_equals_the_diagonal_of_the_covariance(data):
    X, y, X_test = data
    reg = AttentionNNGPRegressor(n_blocks=1, alpha=1e-3).fit(X, y)
    _, std = reg.predict(X_test, return_std=True)
    _, cov = reg.predict(X_test, return_cov=True)
    np.testing.assert_allclose(std, np.sqrt(np.clip(np.diag(cov), 0, None)), rtol=1e-6,
                               atol=1e-12)
