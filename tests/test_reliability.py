"""Reliability: an atomic fit, guarded numerics, clear errors on odd input."""

import pickle
import warnings

import jax
import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
from sklearn.base import clone, is_regressor
from sklearn.model_selection import cross_val_score
from sklearn.utils._param_validation import InvalidParameterError
from numpy.testing import assert_array_equal

import skattn
import skattn._base
from synthetic import padded_sequences
from skattn import (AttentionNNGPClassifier, AttentionNNGPRegressor, AttentionNTKClassifier,
                    AttentionNTKRegressor, _inference)
from skattn.kernels import transformer

ESTIMATORS = [AttentionNNGPRegressor, AttentionNTKRegressor, AttentionNNGPClassifier,
              AttentionNTKClassifier]
SMALL = dict(n_blocks=1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = padded_sequences(rng, 14, 4, 2)
    score = np.nanmean(X[:, :, 0], axis=1)
    labels = np.array(["a", "b", "c"])[np.arange(14) % 3]
    return X[:10], X[10:], score[:10], labels[:10]


def _targets(cls, data):
    return data[2] if is_regressor(cls()) else data[3]


# -------------------------------------------------------------- atomic fit


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_an_interrupted_fit_leaves_the_model_as_it_was(cls, data, monkeypatch):
    X, X_test, score, labels = data
    params = dict(normalize_y=True) if is_regressor(cls()) else {}
    model = cls(**SMALL, **params).fit(X, _targets(cls, data))
    before = dict(vars(model))
    predicted = model.predict(X_test)
    # a refit on other data (other scale, other classes), interrupted inside the kernel
    y_new = 100 * score[:6] + 50 if is_regressor(cls()) else labels[:6] == "a"
    monkeypatch.setattr(skattn._base, "compute_kernels", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X[:6, :3], y_new)
    monkeypatch.undo()
    assert vars(model).keys() == before.keys()
    assert all(vars(model)[k] is v for k, v in before.items())
    assert_array_equal(model.predict(X_test), predicted)
    if not is_regressor(cls()):
        assert model.predict_proba(X_test).shape == (len(X_test), 3)


# --------------------------------------------------------- guarded numerics


def test_a_float32_kernel_too_close_to_singular_warns():
    """20 sequences, 5 near copies of each: alpha within float32's rounding noise."""
    rng = np.random.default_rng(1)
    base = rng.normal(size=(20, 4, 2))
    X = np.repeat(base, 5, axis=0) + 1e-3 * rng.normal(size=(100, 4, 2))
    y = X[:, :, 0].mean(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AttentionNNGPRegressor(**SMALL, alpha=1e-6).fit(X, y)  # float64 is fine
        AttentionNNGPRegressor(**SMALL, alpha=1e-4, dtype="float32").fit(X, y)
    reg = AttentionNNGPRegressor(**SMALL, alpha=1e-6, dtype="float32")
    with pytest.warns(scipy.linalg.LinAlgWarning,
                      match=r"numerically singular.*dtype='float64'.*'alpha'") as record:
        reg.fit(X, y)
    assert [w.filename for w in record] == [__file__]  # the caller's line, not skattn's


def test_negative_variances_beyond_rounding_warn():
    prior = np.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = _inference.clipped_variance(np.array([0.5, -1e-17, 0.0]), prior, np.float64)
    assert_array_equal(quiet, [0.5, 0.0, 0.0])
    with pytest.warns(RuntimeWarning, match=r"variances smaller than 0.*'alpha'.*float64"):
        loud = _inference.clipped_variance(np.array([0.5, -1e-3]), prior[:2], np.float32)
    assert_array_equal(loud, [0.5, 0.0])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("dtype, huge", [("float64", 1e160), ("float32", 1e25)])
def test_inputs_that_overflow_in_the_kernel_name_the_sample(cls, dtype, huge, data):
    X, X_test = data[0].copy(), data[1].copy()
    y = _targets(cls, data)
    X[3, 1, 0] = huge
    with pytest.raises(FloatingPointError,
                       match=r"kernel of X's sample 3 is not finite.*overflow " + dtype):
        cls(**SMALL, dtype=dtype).fit(X, y)
    model = cls(**SMALL, dtype=dtype).fit(data[0], y)
    X_test[2, 0, 1] = -huge
    with_std = (model.predict_proba if not is_regressor(cls())
                else lambda X: model.predict(X, return_std=True))
    for predict in (model.predict, with_std):
        with pytest.raises(FloatingPointError, match="X's sample 2 is not finite"):
            predict(X_test)
    with pytest.raises(FloatingPointError, match="X1's sample 2 is not finite"):
        model.compute_kernel(X_test, data[0])


def test_kernels_that_outgrow_the_dtype_with_depth_say_why(data):
    """Inputs of size 10 and ten blocks of identity attention without layer
    normalisation: each layer multiplies kernels together, so they overflow
    although the inputs' squares do not."""
    X, y = data[0] * 10, _targets(AttentionNNGPRegressor, data)
    deep = dict(n_blocks=10, attention="identity", layer_norm="none", dtype="float32")
    with pytest.raises(FloatingPointError, match=r"not finite: its token values \(up to "
                       r"\d+\.?\d* in magnitude\) overflow float32 arithmetic inside the "
                       r"network, whose kernels multiply token values \(each attention "
                       r"layer multiplies kernels together.*layer_norm='pre' or 'post'\), "
                       r"or use dtype='float64'"):
        AttentionNNGPRegressor(**deep).fit(X, y)


# ------------------------------------------------------------- odd inputs


@pytest.mark.parametrize("method", ["fit", "compute_kernel"])
def test_values_beyond_float32_are_not_called_inf(method, data):
    X = data[0].copy()
    X[4, 2, 1] = 1e39
    reg = AttentionNNGPRegressor(**SMALL, dtype="float32")
    with pytest.raises(ValueError, match=r"sample 4, position 2 .* 1e\+39, beyond the range "
                                         r"of float32.*dtype='float64'"):
        reg.fit(X, data[2]) if method == "fit" else reg.compute_kernel(X)


def test_compute_kernel_refuses_a_sparse_matrix():
    X = scipy.sparse.random(5, 4, density=0.5, format="csr", random_state=0)
    with pytest.raises(TypeError, match=r"X1 is a sparse matrix.*X1.toarray\(\)"):
        AttentionNNGPRegressor(**SMALL).compute_kernel(X)


# ------------------------------------------------------------------ device


def test_a_device_name_survives_clone_and_pickle(data):
    X, X_test, score, _ = data
    reg = AttentionNNGPRegressor(**SMALL, device="cpu:0").fit(X, score)
    # the CPU against the CPU (by name and by object), also on a GPU machine
    cpu = jax.devices("cpu")[0]
    expected = AttentionNNGPRegressor(**SMALL, device="cpu").fit(X, score).predict(X_test)
    assert_array_equal(reg.predict(X_test), expected)
    copy = pickle.loads(pickle.dumps(clone(reg).fit(X, score)))
    assert copy.device == "cpu:0"
    assert_array_equal(copy.predict(X_test), expected)
    assert cross_val_score(reg, X, score, cv=2).shape == (2,)
    layer = transformer(n_blocks=1)
    # resolved where the work runs
    assert_array_equal(layer(X, device="cpu"), layer(X, device=cpu))
    assert_array_equal(layer.diag(X, device="cpu:0"), layer.diag(X, device=cpu))


@pytest.mark.parametrize("device, error, match", [
    ("cpu:7", ValueError, r"device='cpu:7': the index must be an integer below"),
    ("quantum", ValueError, r"device='quantum' names no available platform"),
    (jax.devices()[0], InvalidParameterError, r"'device' parameter .* None or .*'str'"),
])
def test_a_bad_device_names_itself(device, error, match, data):
    with pytest.raises(error, match=match):
        AttentionNNGPRegressor(**SMALL, device=device).fit(data[0], data[2])


# ---------------------------------------------------------------- pickles


def test_a_pickle_records_the_version_and_warns_when_another_loads_it(data):
    reg = AttentionNNGPRegressor(**SMALL).fit(data[0], data[2])
    state = reg.__getstate__()
    assert state["_skattn_version"] == skattn.__version__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = pickle.loads(pickle.dumps(reg))
    assert "_skattn_version" not in vars(same)
    older = AttentionNNGPRegressor.__new__(AttentionNNGPRegressor)
    with pytest.warns(skattn.InconsistentVersionWarning,
                      match=r"AttentionNNGPRegressor from skattn version 0\.0\.1 when using"):
        older.__setstate__(dict(state, _skattn_version="0.0.1"))
    assert_array_equal(older.predict(data[1]), reg.predict(data[1]))
