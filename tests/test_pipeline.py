"""End to end: variable-length sequences through a padder, a grid search and joblib."""

import joblib
import numpy as np
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skattn import AttentionNNGPRegressor, AttentionNTKClassifier, SequencePadder, SequenceScaler


def ragged_sequences(rng, n):
    """Sequences of 2 to 6 two-feature tokens; the label is the sign of feature 0's mean."""
    X = [rng.normal(size=(length, 2)) for length in rng.integers(2, 7, size=n)]
    y = np.array(["up" if seq[:, 0].mean() > 0 else "down" for seq in X])
    return X, y


def test_grid_searched_pipeline_survives_joblib(tmp_path):
    rng = np.random.default_rng(0)
    X, y = ragged_sequences(rng, 30)
    X_test, y_test = ragged_sequences(rng, 12)
    pipeline = Pipeline([("pad", SequencePadder()), ("clf", AttentionNTKClassifier())])
    grid = {"clf__n_blocks": [0, 1], "clf__alpha": [1e-6, 1e-1]}
    search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    assert search.best_params_["clf__n_blocks"] in (0, 1)
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert search.score(X_test, y_test) >= 0.75

    path = tmp_path / "search.joblib"
    joblib.dump(search, path)
    loaded = joblib.load(path)
    assert loaded.best_params_ == search.best_params_
    assert_array_equal(loaded.predict(X_test), search.predict(X_test))
    assert_array_equal(loaded.predict_proba(X_test), search.predict_proba(X_test))
    assert_array_equal(loaded.decision_function(X_test), search.decision_function(X_test))


def test_padder_scaler_regressor_pipeline():
    rng = np.random.default_rng(1)
    X, _ = ragged_sequences(rng, 20)
    y = np.array([100 + 10 * seq[:, 0].mean() for seq in X])
    model = Pipeline([("pad", SequencePadder()), ("scale", SequenceScaler()),
                      ("reg", AttentionNNGPRegressor(n_blocks=1, normalize_y=True, alpha=1e-2))])
    mean, std = model.fit(X[:15], y[:15]).predict(X[15:], return_std=True)
    assert mean.shape == std.shape == (5,) and np.all(std > 0)
    assert model.score(X[15:], y[15:]) > 0.7  # R^2 on held-out sequences
