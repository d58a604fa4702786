"""The four estimators: scikit-learn conformance, API, bad input, persistence."""

import inspect
import pickle
import subprocess
import sys

import jax
import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from synthetic import padded_sequences
from skattn import (AttentionNNGPClassifier, AttentionNNGPRegressor, AttentionNTKClassifier,
                    AttentionNTKRegressor, _inference)
from skattn._base import ARCHITECTURE_DEFAULTS
from skattn.kernels import (TRANSFORMER_DEFAULTS, Dense, GlobalAvgPool, Layer, SelfAttention,
                            serial, transformer)
from skattn.kernels._compute import OwnPass

REGRESSORS = [AttentionNNGPRegressor, AttentionNTKRegressor]
CLASSIFIERS = [AttentionNNGPClassifier, AttentionNTKClassifier]
ESTIMATORS = REGRESSORS + CLASSIFIERS
#: One block keeps every compilation short; the tests share its jit cache.
SMALL = dict(n_blocks=1)
N_TRAIN, N_TEST, LENGTH, WIDTH = 12, 5, 4, 2


def _expected_failed_checks(estimator):
    if type(estimator) in CLASSIFIERS:
        return {"check_decision_proba_consistency":
                "predict_proba weighs each sequence's posterior variance, so it may rank "
                "sequences differently from decision_function, the posterior mean"}
    return {}


@parametrize_with_checks([cls(**SMALL) for cls in ESTIMATORS],
                         expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    """Padded train and test sequences, a smooth target and 3-class labels."""
    rng = np.random.default_rng(0)
    X = padded_sequences(rng, N_TRAIN + N_TEST, LENGTH, WIDTH)
    score = np.nanmean(X[:, :, 0], axis=1) + 0.3 * np.nanmax(X[:, :, 1], axis=1)
    labels = np.array(["low", "mid", "high"])[np.digitize(score, [-0.4, 0.4])]
    return X[:N_TRAIN], X[N_TRAIN:], score[:N_TRAIN], labels[:N_TRAIN]


def fitted(cls, data, **params):
    X, _, score, labels = data
    y = score if cls in REGRESSORS else labels
    return cls(**{**SMALL, **params}).fit(X, y)


# ----------------------------------------------------------------- parameters


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_parameters_are_the_transformer_ones_plus_the_model_ones(cls):
    params = cls().get_params()
    assert {k: params[k] for k in TRANSFORMER_DEFAULTS} == ARCHITECTURE_DEFAULTS
    # only the positions differ from transformer()'s defaults (neural-tangents')
    assert {k for k, v in ARCHITECTURE_DEFAULTS.items() if TRANSFORMER_DEFAULTS[k] != v} == {
        "positional", "val_pos_emb"}
    extra = {k: v for k, v in params.items() if k not in TRANSFORMER_DEFAULTS}
    expected = dict(alpha=1e-6, dtype="float64", architecture=None, batch_size="auto",
                    n_jobs=None, device=None, precision="highest", memory=None,
                    verbose=False,
                    kernel_method="exact", width=64, n_heads=1, n_samples=64,
                    random_state=None, optimizer=None, n_restarts_optimizer=0,
                    learn=("qk_std", "w_std"))
    if cls in REGRESSORS:
        expected.update(normalize_y=False)
    if cls in (AttentionNTKRegressor, AttentionNTKClassifier):
        expected.update(t=None)
    assert extra == expected
    keyword_only = inspect.Parameter.KEYWORD_ONLY
    assert all(p.kind == keyword_only
               for p in list(inspect.signature(cls).parameters.values()))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("name, value, allowed", [
    ("attention", "bogus", ["'abs'", "'identity'", "'relu'", "'softmax'"]),
    ("alpha", -1.0, ["a float in the range [0.0, inf)"]),
    ("dtype", "float16", ["'float32'", "'float64'"]),
    ("n_blocks", 1.5, ["an int in the range [0, inf)"]),
    ("architecture", "serial", ["None or an instance of 'skattn.kernels._base.Layer'"]),
    ("pos_decay", "linear", ["'exp'", "'inverse'", "None"]),
])
def test_invalid_parameter_names_itself_and_the_allowed_values(cls, name, value, allowed):
    X, y = np.ones((2, 3)), [0.0, 1.0]
    estimator = cls(**{name: value})  # __init__ validates nothing
    with pytest.raises(InvalidParameterError) as error:
        estimator.fit(X, y)
    assert f"The '{name}' parameter of {cls.__name__} must be" in str(error.value)
    assert all(option in str(error.value) for option in allowed), str(error.value)


@pytest.mark.parametrize("cls", [AttentionNTKRegressor, AttentionNTKClassifier])
def test_invalid_training_time(cls):
    with pytest.raises(InvalidParameterError, match="'t' parameter .* or None"):
        cls(t=-1.0).fit(np.ones((2, 3)), [0, 1])


def test_invalid_combination_is_explained_at_fit(data):
    reg = AttentionNNGPRegressor(scaling="sqrt", attention="softmax")
    with pytest.raises(ValueError, match="scaling='sqrt'.*kernel_method='monte_carlo'"):
        reg.fit(data[0], data[2])


def test_numpy_scalars_from_a_grid_are_accepted(data):
    reg = fitted(AttentionNNGPRegressor, data, n_blocks=np.int64(1), mlp=np.bool_(True),
                 pos_p_norm=np.int64(2))
    expected = fitted(AttentionNNGPRegressor, data)
    assert_array_equal(reg.predict(data[1]), expected.predict(data[1]))


# ------------------------------------------------------------------- kernels


@pytest.mark.parametrize("cls, kind", [(AttentionNNGPRegressor, "nngp"),
                                       (AttentionNTKClassifier, "ntk")])
def test_compute_kernel_before_fit_is_the_architectures(cls, kind, data):
    X, X_test = data[0], data[1]
    estimator = cls(**SMALL)
    layer = transformer(**{**ARCHITECTURE_DEFAULTS, **SMALL})
    assert_allclose(estimator.compute_kernel(X), layer(X, get=kind), rtol=1e-12)
    other = "ntk" if kind == "nngp" else "nngp"
    assert_allclose(estimator.compute_kernel(X_test, X, kind=other),
                    layer(X_test, X, get=other), rtol=1e-12)
    with pytest.raises(ValueError, match="kind must be"):
        estimator.compute_kernel(X, kind="rbf")


def test_custom_architecture_replaces_the_flat_parameters(data):
    X, X_test, y, _ = data
    layer = serial(Dense(), SelfAttention(attention="identity"), GlobalAvgPool(), Dense())
    reg = AttentionNTKRegressor(architecture=layer, n_blocks=7).fit(X, y)
    assert_allclose(reg.compute_kernel(X_test, X), layer(X_test, X, get="ntk"), rtol=1e-12)
    Theta = layer(X, get="ntk") + 1e-6 * np.eye(N_TRAIN)
    assert_allclose(reg.predict(X_test), layer(X_test, X, get="ntk") @ np.linalg.solve(Theta, y),
                    rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_float32_end_to_end(cls, data):
    X, X_test = data[0], data[1]
    single = fitted(cls, data, dtype="float32", alpha=1e-2)
    double = fitted(cls, data, alpha=1e-2)
    assert single.compute_kernel(X).dtype == np.float32
    assert single.X_train_.dtype == np.float32
    assert single.dual_coef_.dtype == np.float64  # the algebra is float64
    # float32 kernels (relative error up to ~3e-5, the NTK) through a solve of condition ~500
    if cls in REGRESSORS:
        for a, b in zip(single.predict(X_test, return_std=True),
                        double.predict(X_test, return_std=True)):
            assert_allclose(a, b, rtol=1e-3, atol=1e-3 * np.abs(b).max())
    else:
        a, b = single.decision_function(X_test), double.decision_function(X_test)
        assert_allclose(a, b, rtol=1e-3, atol=1e-3 * np.abs(b).max())
        assert_array_equal(single.predict(X_test), double.predict(X_test))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_2d_input_is_one_feature_tokens(cls, data):
    _, _, score, labels = data
    X2 = np.random.default_rng(1).normal(size=(N_TRAIN + N_TEST, LENGTH))
    X2[0, 3:] = np.nan
    y = score if cls in REGRESSORS else labels
    flat = cls(**SMALL).fit(X2[:N_TRAIN], y)
    tokens = cls(**SMALL).fit(X2[:N_TRAIN, :, None], y)
    assert flat.n_features_in_ == LENGTH and flat.n_token_features_ == 1
    assert_array_equal(flat.predict(X2[N_TRAIN:]), tokens.predict(X2[N_TRAIN:, :, None]))
    assert_array_equal(flat.predict(X2[N_TRAIN:]), tokens.predict(X2[N_TRAIN:]))


# ---------------------------------------------------------------- regressors


@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("n_targets", [None, 1, 3])
def test_regressor_shapes_follow_gaussian_process_regressor(cls, data, n_targets):
    X, X_test, score, _ = data
    y = score if n_targets is None else np.outer(score, np.arange(1, n_targets + 1))
    reg = cls(**SMALL).fit(X, y)
    mean, std = reg.predict(X_test, return_std=True)
    _, cov = reg.predict(X_test, return_cov=True)
    if n_targets in (None, 1):  # one target is squeezed, as sklearn's GPR does
        assert mean.shape == std.shape == (N_TEST,) and cov.shape == (N_TEST, N_TEST)
        assert reg.sample_y(X_test, n_samples=4).shape == (N_TEST, 4)
    else:
        assert mean.shape == std.shape == (N_TEST, n_targets)
        assert cov.shape == (N_TEST, N_TEST, n_targets)
        assert reg.sample_y(X_test, n_samples=4).shape == (N_TEST, n_targets, 4)
    assert_array_equal(reg.predict(X_test), mean)
    with pytest.raises(RuntimeError, match="At most one of return_std or return_cov"):
        reg.predict(X_test, return_std=True, return_cov=True)


@pytest.mark.parametrize("cls, params", [(AttentionNNGPRegressor, {}),
                                         (AttentionNTKRegressor, {}),
                                         (AttentionNTKRegressor, dict(t=2.0))])
def test_std_is_the_root_of_the_covariance_diagonal(cls, params, data):
    X, X_test, score, _ = data
    reg = fitted(cls, data, **params)
    _, std = reg.predict(X_test, return_std=True)
    _, cov = reg.predict(X_test, return_cov=True)
    assert_allclose(cov, cov.T, atol=1e-12)
    assert np.linalg.eigvalsh(cov).min() > -1e-9
    assert_allclose(std, np.sqrt(np.diag(cov)), rtol=1e-7, atol=1e-12)
    assert np.all(std > 0)


@pytest.mark.parametrize("cls", REGRESSORS)
def test_outputs_are_independent_models(cls, data):
    X, X_test, score, _ = data
    Y = np.column_stack([score, score**2, -score])
    joint_mean, joint_std = cls(**SMALL).fit(X, Y).predict(X_test, return_std=True)
    for k in range(3):
        mean, std = cls(**SMALL).fit(X, Y[:, k]).predict(X_test, return_std=True)
        assert_allclose(joint_mean[:, k], mean, rtol=1e-10, atol=1e-12)
        assert_allclose(joint_std[:, k], std, rtol=1e-10)


def test_ntk_time_is_normalised_by_all_target_entries(data):
    """Two outputs at time t: each evolves as one output alone at time t / 2."""
    X, X_test, score, _ = data
    Y = np.column_stack([score, -score])
    joint = fitted(AttentionNTKRegressor, data, t=3.0).fit(X, Y).predict(X_test)
    alone = fitted(AttentionNTKRegressor, data, t=1.5).predict(X_test)
    assert_allclose(joint[:, 0], alone, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", REGRESSORS)
def test_normalize_y_standardises_then_restores(cls, data):
    X, X_test, score, _ = data
    y = 5 + 3 * score
    reg = cls(**SMALL, normalize_y=True).fit(X, y)
    centred = cls(**SMALL).fit(X, (y - y.mean()) / y.std())
    mean, std = reg.predict(X_test, return_std=True)
    mean_c, std_c = centred.predict(X_test, return_std=True)
    assert_allclose(mean, y.mean() + y.std() * mean_c, rtol=1e-10)
    assert_allclose(std, y.std() * std_c, rtol=1e-10)
    _, cov = reg.predict(X_test, return_cov=True)
    assert_allclose(cov, y.std() ** 2 * centred.predict(X_test, return_cov=True)[1], rtol=1e-10)


def test_nngp_regressor_interpolates_without_noise(data):
    X, _, score, _ = data
    mean, std = fitted(AttentionNNGPRegressor, data, alpha=1e-10).predict(X, return_std=True)
    assert_allclose(mean, score, atol=1e-5)
    assert np.all(std < 1e-3)


def test_ntk_regressor_limits_in_time(data):
    X, X_test, score, _ = data
    prior = fitted(AttentionNTKRegressor, data, t=0.0)
    mean, cov = prior.predict(X_test, return_cov=True)
    assert_allclose(mean, 0, atol=1e-15)
    assert_allclose(cov, prior.compute_kernel(X_test, kind="nngp"), rtol=1e-12)
    late, converged = (fitted(AttentionNTKRegressor, data, t=t) for t in (1e12, None))
    for a, b in zip(late.predict(X_test, return_std=True),
                    converged.predict(X_test, return_std=True)):
        assert_allclose(a, b, rtol=1e-7)


def test_sample_y_is_seeded_and_centred(data):
    X, X_test, score, _ = data
    reg = fitted(AttentionNNGPRegressor, data, random_state=3)
    assert_array_equal(reg.sample_y(X_test, 5), reg.sample_y(X_test, 5))
    assert_array_equal(reg.sample_y(X_test, 5), reg.sample_y(X_test, 5, random_state=3))
    assert not np.array_equal(reg.sample_y(X_test, 5), reg.sample_y(X_test, 5, random_state=4))
    samples = reg.sample_y(X_test, 4000, random_state=0)
    mean, std = reg.predict(X_test, return_std=True)
    assert_allclose(samples.mean(axis=1), mean, atol=5 * std.max() / np.sqrt(4000))
    assert_allclose(samples.std(axis=1), std, rtol=0.1)


def test_log_marginal_likelihood_matches_dense_formula(data):
    X, _, score, _ = data
    reg = fitted(AttentionNNGPRegressor, data, alpha=1e-3)
    K = reg.compute_kernel(X) + 1e-3 * np.eye(N_TRAIN)
    expected = (-0.5 * score @ np.linalg.solve(K, score) - 0.5 * np.linalg.slogdet(K)[1]
                - 0.5 * N_TRAIN * np.log(2 * np.pi))
    assert reg.log_marginal_likelihood() == pytest.approx(expected, rel=1e-10)
    # every estimator has one, the NTK regressor's under the same network's NNGP
    # (documented: its NTK has no likelihood of its own)
    ntk = fitted(AttentionNTKRegressor, data, alpha=1e-3)
    assert ntk.log_marginal_likelihood() == pytest.approx(expected, rel=1e-10)


# --------------------------------------------------------------- classifiers


@pytest.mark.parametrize("cls", CLASSIFIERS)
@pytest.mark.parametrize("labels", [
    np.array(["cat", "dog", "emu"]), np.array([7, -2, 0]), np.array([True, False, True]),
])
def test_any_labels(cls, labels, data):
    X, X_test = data[0], data[1]
    y = labels[np.arange(N_TRAIN) % 3]
    clf = cls(**SMALL).fit(X, y)
    assert_array_equal(clf.classes_, np.unique(labels))
    predicted = clf.predict(X)
    assert predicted.dtype == y.dtype
    assert_array_equal(predicted, y)  # the training labels are interpolated
    assert set(clf.predict(X_test)) <= set(labels)


@pytest.mark.parametrize("cls, regressor", [(AttentionNNGPClassifier, AttentionNNGPRegressor),
                                            (AttentionNTKClassifier, AttentionNTKRegressor)])
@pytest.mark.parametrize("t", [None, 5.0])
def test_classifier_is_the_regressor_on_centred_one_hot_targets(cls, regressor, t, data):
    X, X_test, _, labels = data
    extra = {} if cls is AttentionNNGPClassifier else dict(t=t)
    clf = cls(**SMALL, **extra).fit(X, labels)
    one_hot = (labels[:, None] == clf.classes_).astype(float) - 1 / 3
    assert_array_equal(clf.y_train_, one_hot)
    reg = regressor(**SMALL, **extra).fit(X, one_hot)
    mean, std = reg.predict(X_test, return_std=True)
    assert_allclose(clf.decision_function(X_test), mean, rtol=1e-12, atol=1e-14)
    assert_array_equal(clf.predict(X_test), clf.classes_[mean.argmax(axis=1)])
    if cls is AttentionNNGPClassifier:  # the NTK's: tests/test_calibration.py
        assert_allclose(clf.predict_proba(X_test), _inference.max_probabilities(
            mean, clf.proba_scale_ * std[:, 0]), rtol=1e-10)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_probabilities_and_binary_scores(cls, data):
    X, X_test, score, labels = data
    clf = cls(**SMALL, alpha=0.05).fit(X, labels)
    proba = clf.predict_proba(X_test)
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X_test))
    assert_array_equal(clf.predict_proba(X_test), proba)  # deterministic
    assert 0 < proba.max(axis=1).min() < 1  # noise in alpha keeps them uncertain

    binary = cls(**SMALL).fit(X, score > 0)
    decision = binary.decision_function(X_test)
    assert decision.shape == (N_TEST,)
    assert_array_equal(binary.predict(X_test), decision > 0)


# ----------------------------------------------------------------- bad input


def _state(estimator):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(estimator).items()}


def _assert_state_equal(estimator, state):
    assert vars(estimator).keys() == state.keys()
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            assert_array_equal(vars(estimator)[key], value)
        else:
            assert vars(estimator)[key] == value


def _bad_tokens(kind):
    X = padded_sequences(np.random.default_rng(2), N_TRAIN, LENGTH, WIDTH, [4] * N_TRAIN)
    if kind == "partial_nan":
        X[1, 2, 0] = np.nan
        return X, "sample 1, position 2 has NaN in some but not all"
    if kind == "inf":
        X[3, 1, 1] = -np.inf
        return X, "sample 3, position 1 contains inf"
    X[4] = np.nan
    return X, "sample 4 has no tokens"


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("kind", ["partial_nan", "inf", "all_padding"])
@pytest.mark.parametrize("method", ["fit", "predict"])
def test_bad_tokens_name_sample_and_position(cls, kind, method, data):
    estimator = fitted(cls, data)
    state = _state(estimator)
    X_bad, message = _bad_tokens(kind)
    with pytest.raises(ValueError, match=message):
        if method == "fit":
            estimator.fit(X_bad, data[2] if cls in REGRESSORS else data[3])
        else:
            estimator.predict(X_bad)
    _assert_state_equal(estimator, state)


def _bad_fit_calls(cls, data):
    """(name, fit arguments, error type, message) for each bad training set."""
    X, _, score, labels = data
    y = score if cls in REGRESSORS else labels
    y_nan = score.copy()
    y_nan[2] = np.nan
    y_inf = score.copy()
    y_inf[5] = np.inf
    duplicate = np.concatenate([X[:6], X[:6]])
    cases = [
        ("y_nan", (X, y_nan), ValueError, "Input y contains NaN"),
        ("y_inf", (X, y_inf), ValueError, "Input y contains infinity"),
        ("lengths", (X, y[:-1]), ValueError, "inconsistent numbers of samples"),
        ("strings", (np.full(X.shape[:2], "word"), y), ValueError,
         "X must hold numbers .* skattn.text.TokenEmbedder"),
        ("not_positive_definite", (duplicate, y), np.linalg.LinAlgError,
         "(not positive definite|numerically singular).*Try gradually increasing the 'alpha'"),
    ]
    if cls in CLASSIFIERS:
        cases.append(("one_class", (X, np.full(N_TRAIN, "a")), ValueError, "one class only: a[.]$"))
        cases.append(("continuous", (X, score), ValueError, "Unknown label type"))
    return cases


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_training_data_is_refused_and_the_model_kept(cls, data):
    estimator = fitted(cls, data)
    state = _state(estimator)
    expected = estimator.predict(data[1])
    for name, args, error, message in _bad_fit_calls(cls, data):
        if name == "not_positive_definite":
            estimator.set_params(alpha=0.0)
        with pytest.raises(error, match=message):
            estimator.fit(*args)
        estimator.set_params(alpha=SMALL.get("alpha", 1e-6))
        _assert_state_equal(estimator, state)
        assert_array_equal(estimator.predict(data[1]), expected)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_predict_needs_the_shapes_seen_in_fit(cls, data):
    X, X_test, score, labels = data
    estimator = fitted(cls, data)
    state = _state(estimator)
    with pytest.raises(ValueError, match="token positions, but .* fitted on 4"):
        estimator.predict(X_test[:, :3])
    with pytest.raises(ValueError, match="tokens of 3 features, but .* tokens of 2 features"):
        estimator.predict(np.concatenate([X_test, X_test[:, :, :1]], axis=2))
    with pytest.raises(ValueError, match="2-D X is read as sequences of 1-feature tokens"):
        estimator.predict(X_test[:, :, 0])
    flat = cls(**SMALL).fit(X[:, :, 0], score if cls in REGRESSORS else labels)
    # the 2-D message speaks of positions as the 3-D one, and keeps scikit-learn's
    with pytest.raises(ValueError, match="3 token positions, but .* fitted on 4. Pad") as exc:
        flat.predict(X_test[:, :3, 0])
    assert "X has 3 features, but" in str(exc.value)
    _assert_state_equal(estimator, state)


# --------------------------------------------------------------- persistence


def _assert_plain_state(estimator):
    """Only numpy arrays, plain values, the (frozen dataclass) architecture and the
    posterior objects of ``_inference``, themselves made of such values."""
    for key, value in vars(estimator).items():
        if type(value).__module__ == _inference.__name__:
            _assert_plain_state(value)
            continue
        if isinstance(value, OwnPass):  # the training set's own pass: numpy leaves only
            leaves = jax.tree.leaves(tuple(value))
            assert leaves and all(type(a) is np.ndarray for a in leaves), key
            continue
        if isinstance(value, dict):  # hyperparameters_: {name: float}
            assert all(type(k) is str and type(v) is float for k, v in value.items()), key
            continue
        if isinstance(value, tuple):  # learn: names
            assert all(type(name) is str for name in value), key
            continue
        plain = isinstance(value, (np.ndarray, np.generic, str, int, float, bool, type(None)))
        assert plain or isinstance(value, Layer), (key, type(value))
        if isinstance(value, np.ndarray):
            assert type(value) is np.ndarray and value.dtype != object, key


_LOAD_AND_PREDICT = """
import sys
import joblib, numpy as np
from skattn.kernels import Layer

path, n_train = sys.argv[1], int(sys.argv[2])
calls = []
original = Layer.__call__
def recording(self, X1, X2=None, **kwargs):
    calls.append((len(X1), X2 is None))
    return original(self, X1, X2, **kwargs)
Layer.__call__ = recording

estimators, X_test = joblib.load(path)
out = {}
for i, est in enumerate(estimators):
    if hasattr(est, "predict_proba"):
        out[f"{i}/a"], out[f"{i}/b"] = est.predict(X_test), est.predict_proba(X_test)
    else:
        out[f"{i}/a"], out[f"{i}/b"] = est.predict(X_test, return_std=True)
assert (n_train, True) not in calls, calls  # the train-train kernel is never recomputed
np.savez(path + ".out.npz", **out)
"""


def test_joblib_round_trip_in_a_fresh_process(data, tmp_path):
    X, X_test, score, labels = data
    estimators = [
        AttentionNNGPRegressor(**SMALL).fit(X, score),
        AttentionNTKRegressor(**SMALL, t=2.0).fit(X, np.column_stack([score, score**2])),
        AttentionNNGPClassifier(**SMALL).fit(X, labels),
        AttentionNTKClassifier(architecture=serial(Dense(), SelfAttention(), GlobalAvgPool(),
                                                   Dense())).fit(X, labels),
    ]
    for estimator in estimators:
        _assert_plain_state(estimator)
    path = tmp_path / "models.joblib"
    joblib.dump((estimators, X_test), path)
    subprocess.run([sys.executable, "-c", _LOAD_AND_PREDICT, str(path), str(N_TRAIN)],
                   check=True, capture_output=True)
    with np.load(str(path) + ".out.npz", allow_pickle=True) as out:
        for i, est in enumerate(estimators):
            if hasattr(est, "predict_proba"):
                expected = est.predict(X_test), est.predict_proba(X_test)
            else:
                expected = est.predict(X_test, return_std=True)
            assert_array_equal(out[f"{i}/a"], expected[0])
            assert_array_equal(out[f"{i}/b"], expected[1])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_clone_and_pickle_keep_parameters(cls, data):
    estimator = fitted(cls, data, alpha=1e-3)
    assert clone(estimator).get_params() == estimator.get_params()
    copy = pickle.loads(pickle.dumps(estimator))
    assert_array_equal(copy.predict(data[1]), estimator.predict(data[1]))
