import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skattn.preprocessing import SequencePadder, SequenceScaler

NAN = np.nan


def _ragged(rng, n=6, d=3, max_len=7):
    return [rng.normal(size=(rng.integers(1, max_len + 1), d)) for _ in range(n)]


def _expected_failed_checks(estimator):
    reason = (
        "n_features_in_ is not set: sequence length varies by design and the "
        "per-token feature count is n_token_features_"
    )
    return {
        "check_n_features_in": reason,
        "check_n_features_in_after_fitting": reason,
        "check_transformer_general": (
            "requires transform to reject X[:, :-1], but a 2-D array's columns are "
            "token positions and shorter sequences are valid; the rest of the check "
            "is in test_fit_transform_matches_transform"
        ),
    }


@parametrize_with_checks(
    [SequencePadder(), SequenceScaler()], expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# SequencePadder: shapes and values


@pytest.mark.parametrize(
    "padding, truncating, expected",
    [
        ("post", "post", [[1, 2, 3], [4, NAN, NAN], [6, 7, 8]]),
        ("pre", "post", [[1, 2, 3], [NAN, NAN, 4], [6, 7, 8]]),
        ("post", "pre", [[1, 2, 3], [4, NAN, NAN], [7, 8, 9]]),
        ("pre", "pre", [[1, 2, 3], [NAN, NAN, 4], [7, 8, 9]]),
    ],
)
def test_padding_and_truncating(padding, truncating, expected):
    padder = SequencePadder(padding=padding, truncating=truncating)
    padder.fit([[1, 2, 3], [4, 5]])
    out = padder.transform([[1, 2, 3], [4], [6, 7, 8, 9]])
    assert out.shape == (3, 3, 1)
    assert_array_equal(out[..., 0], expected)


def test_max_len_learned_or_given():
    X = [[1.0, 2.0], [3.0, 4.0, 5.0, 6.0], [7.0]]
    assert SequencePadder().fit(X).max_len_ == 4
    padder = SequencePadder(max_len=6).fit(X)
    assert padder.max_len == 6 and padder.max_len_ == 6
    assert_array_equal(padder.transform(X)[1, :, 0], [3, 4, 5, 6, NAN, NAN])
    assert_array_equal(SequencePadder(max_len=1).fit_transform(X)[:, 0, 0], [1, 3, 7])


def test_multi_feature_tokens_and_3d_input():
    rng = np.random.default_rng(0)
    X = _ragged(rng)
    out = SequencePadder().fit_transform(X)
    lengths = [len(seq) for seq in X]
    assert out.shape == (len(X), max(lengths), 3)
    for seq, row in zip(X, out):
        assert_array_equal(row[: len(seq)], seq)
        assert np.isnan(row[len(seq) :]).all()
    # A padded 3-D array is read back unchanged; "pre" padding is dropped first.
    assert_array_equal(SequencePadder().fit_transform(out), out)
    pre = SequencePadder(padding="pre").fit_transform(X)
    assert_array_equal(SequencePadder().fit_transform(pre), out)


def test_one_feature_tokens_lists_and_2d_arrays_agree():
    X = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    from_lists = SequencePadder().fit_transform(X)
    from_2d = SequencePadder().fit_transform(np.array(X))
    from_tokens = SequencePadder().fit_transform([[[1], [2], [3]], [[4], [5], [6]]])
    assert from_lists.shape == (2, 3, 1)
    assert_array_equal(from_lists, from_2d)
    assert_array_equal(from_lists, from_tokens)


def test_nan_tokens_in_arrays_are_padding():
    X = np.array([[1.0, NAN, 2.0], [NAN, NAN, 3.0]])
    padder = SequencePadder().fit(X)
    assert padder.max_len_ == 2
    assert_array_equal(padder.transform(X)[..., 0], [[1, 2], [3, NAN]])


def test_dtype_float32():
    out = SequencePadder(dtype="float32").fit_transform([[1, 2], [3]])
    assert out.dtype == np.float32
    X32 = np.ones((2, 2), np.float32)
    assert SequencePadder().fit_transform(X32).dtype == np.float64


def test_fit_transform_matches_transform():
    # The part of sklearn's check_transformer_general that can apply here.
    rng = np.random.default_rng(1)
    X = SequencePadder(padding="pre").fit_transform(_ragged(rng))
    X.flags.writeable = False
    for est in (SequencePadder(), SequenceScaler()):
        assert_array_equal(clone(est).fit_transform(X), clone(est).fit(X).transform(X))


# SequenceScaler


def test_scaler_statistics_use_real_tokens_only():
    rng = np.random.default_rng(2)
    X = _ragged(rng, n=8, d=2)
    padded = SequencePadder(padding="pre").fit_transform(X)
    scaler = SequenceScaler().fit(padded)
    tokens = np.concatenate(X)
    assert_allclose(scaler.mean_, tokens.mean(axis=0))
    assert_allclose(scaler.scale_, tokens.std(axis=0))
    out = scaler.transform(padded)
    assert out.shape == padded.shape
    assert_array_equal(np.isnan(out), np.isnan(padded))
    real = ~np.isnan(padded[..., 0])
    assert_allclose(out[real], (padded[real] - tokens.mean(0)) / tokens.std(0))
    assert_allclose(out[real].mean(axis=0), 0, atol=1e-12)


def test_scaler_options_constant_feature_and_shapes():
    X = np.array([[[1.0, 5.0], [3.0, 5.0]], [[NAN, NAN], [2.0, 5.0]]])
    scaler = SequenceScaler().fit(X)
    assert_array_equal(scaler.scale_[1], 1.0)  # constant feature, as StandardScaler
    assert_allclose(scaler.transform(X)[..., 1][~np.isnan(X[..., 1])], 0)
    raw = SequenceScaler(with_mean=False, with_std=False).fit_transform(X)
    assert_array_equal(raw, X)
    assert raw is not X
    no_mean = SequenceScaler(with_mean=False).fit_transform(X)
    assert_allclose(no_mean[0, 0], X[0, 0] / scaler.scale_)
    # 2-D input is one-feature tokens and comes out 3-D; float32 is kept.
    out = SequenceScaler().fit_transform(np.array([[0, 2], [2, 0]], dtype=np.float32))
    assert out.shape == (2, 2, 1) and out.dtype == np.float32
    assert_array_equal(out[..., 0], [[-1, 1], [1, -1]])


@pytest.mark.parametrize("values, expected_scale", [
    ([1.0, 1.0 + 2.2e-16, 1.0], 1.0),      # rounding noise is not scaled up
    ([1e-320, 2e-320, 3e-320], 1.0),       # subnormal: no inf
    ([1e200, 2e200, 3e200], np.sqrt(2 / 3) * 1e200),  # squares would overflow
])
def test_scaler_handles_near_constant_and_extreme_features_as_standard_scaler(
        values, expected_scale):
    X = np.array(values)[None, :, None]
    scaler = SequenceScaler().fit(X)
    assert_allclose(scaler.scale_, [expected_scale], rtol=1e-12)
    out = scaler.transform(X)
    assert np.all(np.isfinite(out)) and np.abs(out).max() <= 1.5
    if values[0] < 1e100:  # StandardScaler's own variance overflows at 1e200
        assert_allclose(scaler.scale_, StandardScaler().fit(np.array(values)[:, None]).scale_)


def test_pipeline_padder_then_scaler():
    pipe = make_pipeline(SequencePadder(), SequenceScaler())
    out = pipe.fit_transform([[0.0, 2.0, 4.0], [2.0]])
    assert_allclose(out[..., 0], np.array([[-2, 0, 2], [0, NAN, NAN]]) / 2**0.5)


# Errors, each naming the sample and, for a token, its position


@pytest.mark.parametrize("Est", [SequencePadder, SequenceScaler])
@pytest.mark.parametrize(
    "X, match",
    [
        ([[1.0, 2.0], [3.0, np.inf]], r"X: sample 1, position 1 contains inf"),
        (
            [[[1.0, 2.0]], [[3.0, 4.0], [NAN, 5.0]]],
            r"X: sample 1, position 1 has NaN in some but not all",
        ),
        ([[1.0], []], r"Sample 1 is empty"),
        (np.array([[1.0, 2.0], [NAN, NAN]]), r"X: sample 1 has no tokens"),
        ([[1.0], [2.0, "a"]], r"Sample 1, position 1: non-numeric value 'a'"),
        ([[[1, 2]], [[1, 2], [3]]], r"Sample 1, position 1: token has 1 features"),
        ([[[1.0, 2.0]], [[3.0]]], r"Sample 1 has tokens with 1 features, but sample 0"),
        ([[1.0, 2.0], 3.0], r"Sample 1 has shape \(\).*Reshape"),
        (np.array([[1.0, 2.0], [3.0, -np.inf]]), r"X: sample 1, position 1 contains inf"),
        (np.array([[1, 2], [3, "x"]], dtype=object), r"Sample 1, position 1: non-num"),
        (np.ones((2, 2, 2, 2)), r"Reshape your data"),
        (np.ones((2, 2, 0)), r"tokens with 0 features"),
        ([], r"Found 0 sequences"),
    ],
)
def test_invalid_input(Est, X, match):
    with pytest.raises(ValueError, match=match):
        Est().fit(X)


def test_non_numeric_objects_raise_type_error():
    with pytest.raises(TypeError, match=r"Sample 0, position 1: non-numeric value \{"):
        SequencePadder().fit([[1.0, {"a": 1}]])


@pytest.mark.parametrize("Est", [SequencePadder, SequenceScaler])
def test_feature_count_differs_from_fit(Est):
    est = Est().fit(np.zeros((2, 3, 2)))
    name = Est.__name__
    with pytest.raises(ValueError, match=f"Sample 0 has tokens with 3 .* {name} was"):
        est.transform(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="Sample 1 has tokens with 1 features"):
        est.transform([np.zeros((1, 2)), np.zeros(3)])


@pytest.mark.parametrize("Est", [SequencePadder, SequenceScaler])
def test_failed_fit_changes_nothing(Est):
    est = Est()
    with pytest.raises(ValueError):
        est.fit([[1.0, np.inf]])
    assert not hasattr(est, "n_token_features_")
    est.fit(np.zeros((2, 3, 2)))
    before = dict(vars(est))
    with pytest.raises(ValueError):
        est.fit([[[1.0, NAN]]])
    for key, value in vars(est).items():
        assert_array_equal(value, before[key])


def test_invalid_parameters():
    with pytest.raises(ValueError, match="max_len"):
        SequencePadder(max_len=0).fit([[1.0]])
    with pytest.raises(ValueError, match="padding"):
        SequencePadder(padding="middle").fit([[1.0]])
    with pytest.raises(ValueError, match="dtype"):
        SequencePadder(dtype="int32").fit([[1.0]])
