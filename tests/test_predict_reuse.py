"""A fitted estimator keeps its training set's own pass; predictions walk only new sequences."""

import pickle

import numpy as np
import pytest

from synthetic import padded_sequences
from skattn import AttentionNNGPRegressor, AttentionNTKClassifier, _base
from skattn.kernels import _compute, transformer


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


def test_a_pass_too_large_to_keep_is_walked_again(data, walked, monkeypatch):
    """Long sequences: the model keeps no pass larger than KEPT_PASS_BYTES and
    predicts as one that kept it, walking the training set again."""
    X, y, X_test = data
    kept = AttentionNNGPRegressor(n_blocks=1, batch_size=4).fit(X, y)
    monkeypatch.setattr(_base, "KEPT_PASS_BYTES", 0)
    lean = AttentionNNGPRegressor(n_blocks=1, batch_size=4).fit(X, y)
    assert lean.train_pass_ is None and kept.train_pass_ is not None
    walked.clear()
    mean, std = lean.predict(X_test, return_std=True)
    assert walked.count(len(X)) == 1 and set(walked) == {len(X), len(X_test)}
    np.testing.assert_allclose(mean, kept.predict(X_test), rtol=1e-12)
    np.testing.assert_allclose(std, kept.predict(X_test, return_std=True)[1], rtol=1e-10)


@pytest.mark.parametrize("cross", [False, True])
def test_long_sequences_are_computed_in_blocks_whose_sides_fit(data, walked, monkeypatch, cross):
    """Host memory stays bounded by the task, whatever n: with room for the
    sides of 8 sequences, every walk gets at most 4 (one block's rows or
    columns, a whole number of tiles), and the blocks give the kernel of one task."""
    X, _, X_test = data
    layer = transformer(n_blocks=1)
    X2 = X_test if cross else None
    whole = layer(X, X2, get=("nngp", "ntk"), batch_size=2)
    per_sequence = _compute.side_entries(layer, *X.shape[1:], X.dtype) * X.dtype.itemsize
    monkeypatch.setattr(_compute, "TASK_SIDES_BYTES", 8 * per_sequence)
    walked.clear()
    blocks = layer(X, X2, get=("nngp", "ntk"), batch_size=2)
    assert max(walked) <= 4 and sum(walked) > len(X)
    for kind in whole:
        np.testing.assert_allclose(blocks[kind], whole[kind], rtol=1e-12)


def test_the_training_sequences_are_validated_once(data, monkeypatch):
    """Predictions trust the validated sequences the kept pass holds: the token
    checks run on the new sequences only, never on X_train_ again."""
    from skattn import _inputs

    X, y, X_test = data
    reg = AttentionNNGPRegressor(n_blocks=1, batch_size=4).fit(X, y)
    checked = []
    check = _inputs.check_tokens
    def counting(values, name="X"):
        checked.append(len(values))
        return check(values, name)

    monkeypatch.setattr(_inputs, "check_tokens", counting)
    reg.predict(X_test, return_std=True)
    assert checked and set(checked) == {len(X_test)}


def test_predict_proba_walks_only_the_new_sequences(data, walked):
    X, y, X_test = data
    clf = AttentionNTKClassifier(n_blocks=1, batch_size=4).fit(X, y > np.median(y))
    walked.clear()
    clf.predict_proba(X_test)
    assert walked == [6]  # once: the cross kernel and the diagonal read its pass
