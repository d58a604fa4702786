"""Kernel caching through ``memory``: model selection over alpha computes each kernel once."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from synthetic import padded_sequences
from skattn import AttentionNNGPRegressor, AttentionNTKClassifier
from skattn.kernels import _compute, transformer


@pytest.fixture
def evaluations(monkeypatch):
    """Count kernel evaluations (calls of the engine's entry point)."""
    calls = []
    evaluate = _compute.evaluate

    def counting(*args, **kwargs):
        calls.append(1)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(_compute, "evaluate", counting)
    return calls


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = padded_sequences(rng, 24, 4, 2)
    return X, np.nan_to_num(X).sum(axis=(1, 2))


def test_second_grid_search_over_alpha_computes_no_kernel(data, tmp_path, evaluations):
    X, y = data
    est = AttentionNNGPRegressor(n_blocks=1, memory=str(tmp_path))
    search = GridSearchCV(est, {"alpha": [1e-4, 1e-2, 1.0]}, cv=3)
    search.fit(X, y)
    # per fold one train kernel and one test-train kernel, whatever alpha; one refit
    assert len(evaluations) == 3 * 2 + 1
    evaluations.clear()
    search.fit(X, y)
    assert evaluations == []


def test_cached_and_fresh_predictions_agree(data, tmp_path, evaluations):
    X, y = data
    fresh = AttentionNNGPRegressor(n_blocks=1).fit(X[:16], y[:16])
    cached = AttentionNNGPRegressor(n_blocks=1, memory=joblib.Memory(tmp_path, verbose=0))
    for _ in range(2):
        cached.fit(X[:16], y[:16])
        mean, std = cached.predict(X[16:], return_std=True)
    want_mean, want_std = fresh.predict(X[16:], return_std=True)
    np.testing.assert_array_equal(mean, want_mean)
    np.testing.assert_array_equal(std, want_std)


def test_cache_key_includes_architecture_and_dtype(data, tmp_path, evaluations):
    X, y = data
    labels = (y > np.median(y)).astype(int)
    for params in [dict(), dict(n_blocks=2), dict(dtype="float32"), dict()]:
        AttentionNTKClassifier(n_blocks=params.get("n_blocks", 1),
                               dtype=params.get("dtype", "float64"),
                               memory=str(tmp_path)).fit(X, labels)
    assert len(evaluations) == 3  # the last fit repeats the first


def test_cache_key_includes_precision(data, tmp_path, evaluations):
    X, y = data
    for precision in ["highest", "default", "highest"]:
        AttentionNNGPRegressor(n_blocks=1, precision=precision, memory=str(tmp_path)).fit(X, y)
    assert len(evaluations) == 2


def test_options_that_do_not_change_the_kernel_share_the_cache(data, tmp_path, evaluations):
    X, y = data
    for batch_size in ["auto", 3]:
        AttentionNNGPRegressor(n_blocks=1, batch_size=batch_size,
                               memory=str(tmp_path)).fit(X, y)
    assert len(evaluations) == 1


def test_verbose_estimator_shows_a_progress_bar(data, capsys, monkeypatch):
    X, y = data
    # the engine alone would show a bar from the first tile on; verbose=False shows none
    monkeypatch.setattr(_compute, "PROGRESS_FROM_TILES", 1)
    _compute.evaluate(transformer(n_blocks=1), X, batch_size=4)
    assert "kernel tiles" in capsys.readouterr().err
    AttentionNNGPRegressor(n_blocks=1, batch_size=4).fit(X, y)
    assert "kernel tiles" not in capsys.readouterr().err
    AttentionNNGPRegressor(n_blocks=1, batch_size=4, verbose=True).fit(X, y)
    assert "kernel tiles" in capsys.readouterr().err
