"""Conv1D and AvgPool1D: properties that do not depend on neural-tangents."""

import numpy as np
import pytest

from synthetic import padded_sequences, walked
from skattn import AttentionNNGPRegressor
from skattn.kernels import (AvgPool1D, Conv1D, Dense, GlobalAvgPool, Identity, Relu,
                            SelfAttention, serial)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def head(*layers):
    return serial(*layers, Relu(), GlobalAvgPool(), Dense())


def test_filter_size_one_is_dense(rng):
    X, Y = padded_sequences(rng, 5, 6, 3), padded_sequences(rng, 4, 6, 3)
    conv = head(Conv1D(filter_size=1, w_std=1.3, b_std=0.4))
    dense = head(Dense(w_std=1.3, b_std=0.4))
    got, want = conv(X, Y, get=("nngp", "ntk")), dense(X, Y, get=("nngp", "ntk"))
    for kind in want:
        np.testing.assert_allclose(got[kind], want[kind], rtol=1e-12)


def test_window_one_is_the_identity(rng):
    X = padded_sequences(rng, 6, 5, 2)
    got = head(Dense(), AvgPool1D(window=1))(X, get="ntk")
    np.testing.assert_allclose(got, head(Dense())(X, get="ntk"), rtol=1e-12)


def windows(tokens, mask, size, stride, padding):
    """Windows of token vectors, written out with loops: ``(out, size, d)`` and
    the output mask (real when the window's centre token is)."""
    L = len(tokens)
    if padding == "valid":
        out, left = (L - size) // stride + 1, 0
    else:
        out = -(-L // stride)
        left = max((out - 1) * stride + size - L, 0) // 2
    rows, keep = [], []
    for o in range(out):
        pos = [o * stride + k - left for k in range(size)]
        if padding == "circular":
            pos = [p % L for p in pos]
        rows.append([tokens[p] * mask[p] if 0 <= p < L else 0 * tokens[0] for p in pos])
        keep.append(mask[o * stride - left + (size - 1) // 2])
    return np.array(rows), np.array(keep)


def linear_features(x, size, stride, padding, window, w_std, b_std):
    """The output of Conv1D -> AvgPool1D -> GlobalAvgPool on one sequence as a
    feature vector whose inner products are the NNGP (weights integrated out)."""
    mask = ~np.isnan(x).all(axis=1)
    x = np.where(np.isnan(x), 0, x)
    taps, real = windows(x, mask, size, stride, padding)
    # a conv output is w_std * taps / sqrt(size d), and a bias b_std, at real outputs
    conv = np.concatenate([w_std * taps.reshape(len(taps), -1) / np.sqrt(size * x.shape[1]),
                           np.full((len(taps), 1), b_std)], axis=1) * real[:, None]
    pooled, real = windows(conv, real, window, window, "valid")
    pooled = pooled.mean(axis=1) * real[:, None]
    return pooled.sum(axis=0) / real.sum()


@pytest.mark.parametrize("size, stride, padding", [(3, 1, "valid"), (4, 2, "same"),
                                                   (3, 2, "circular")])
def test_linear_network_is_the_gram_of_its_windows(rng, size, stride, padding):
    X = padded_sequences(rng, 5, 11, 2, lengths=[11, 9, 8, 10, 11])
    k = serial(Conv1D(filter_size=size, stride=stride, padding=padding, w_std=1.2, b_std=0.3),
               AvgPool1D(window=2), GlobalAvgPool())
    F = np.array([linear_features(x, size, stride, padding, 2, 1.2, 0.3) for x in X])
    got = k(X, get=("nngp", "ntk"))
    np.testing.assert_allclose(got["nngp"], F @ F.T, rtol=1e-10)
    # one linear layer on the inputs: its NTK is its NNGP
    np.testing.assert_allclose(got["ntk"], F @ F.T, rtol=1e-10)


NETWORKS = [
    head(Conv1D(filter_size=3, padding="same", b_std=0.2), SelfAttention(positional="sum")),
    head(Dense(), AvgPool1D(window=2), SelfAttention(), Relu(), Conv1D(stride=2)),
    head(Conv1D(filter_size=2), Relu(), AvgPool1D(window=3, stride=1), SelfAttention()),
]


@pytest.mark.parametrize("k", NETWORKS)
def test_symmetric_positive_semidefinite_and_own_pass(rng, k):
    X = padded_sequences(rng, 8, 9, 2, lengths=[9, 7, 5, 9, 8, 6, 9, 4])
    full, diag = k(X, get=("nngp", "ntk")), k.diag(X, get=("nngp", "ntk"))
    for kind, K in full.items():
        np.testing.assert_array_equal(K, K.T)
        assert np.linalg.eigvalsh(K).min() > -1e-10 * np.abs(K).max(), kind
        np.testing.assert_allclose(diag[kind], np.diag(K), rtol=2e-8)


@pytest.mark.parametrize("k", [NETWORKS[0], head(Dense(), AvgPool1D(3, 1, "same"),
                                                  SelfAttention(), Relu(), Conv1D(1))])
def test_trailing_padding_changes_nothing(rng, k):
    # "same" windows of stride 1 do not depend on the padded length; "valid" ones
    # and strided ones do (which windows fit in L, where "same" windows start).
    X = padded_sequences(rng, 4, 9, 2, lengths=[9, 6, 5, 8])
    Y = padded_sequences(rng, 3, 9, 2, lengths=[7, 9, 6])
    longer = np.concatenate([X, np.full((4, 5, 2), np.nan)], axis=1)
    base, more = k(X, Y, get=("nngp", "ntk")), k(longer, Y, get=("nngp", "ntk"))
    for kind in base:
        np.testing.assert_allclose(more[kind], base[kind], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("linear", [
    Conv1D(filter_size=3, padding="same", b_std=0.3),
    serial(Conv1D(filter_size=2, stride=2, padding="circular"), AvgPool1D(window=2, stride=1)),
])
def test_attention_on_features_equals_the_sandwich(rng, linear):
    """Conv1D and AvgPool1D carry token features to the attention layer; with
    them dropped (Identity keeps none) it sandwiches the kernels instead."""
    X = padded_sequences(rng, 6, 12, 1, lengths=[12, 10, 11, 12, 9, 12])
    fast = head(Dense(b_std=0.2), linear, SelfAttention(positional="sum"))
    slow = head(Dense(b_std=0.2), linear, Identity(), SelfAttention(positional="sum"))
    assert walked(serial(Dense(), linear), np.ones((1, 12, 1))).features is not None
    got, want = fast(X, X[:4], get=("nngp", "ntk")), slow(X, X[:4], get=("nngp", "ntk"))
    for kind in want:
        np.testing.assert_allclose(got[kind], want[kind], rtol=2e-8, atol=1e-12)


@pytest.mark.parametrize("make, match", [
    (lambda: Conv1D(filter_size=0), "filter_size must be a positive integer"),
    (lambda: Conv1D(stride=1.5), "stride must be a positive integer"),
    (lambda: Conv1D(padding="full"), "padding must be one of"),
    (lambda: Conv1D(w_std=-1.0), "w_std must be a non-negative number"),
    (lambda: AvgPool1D(window=True), "window must be a positive integer"),
    (lambda: AvgPool1D(padding="SAME"), "padding must be one of"),
])
def test_bad_configuration(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_sequences_shorter_than_a_valid_window(rng):
    with pytest.raises(ValueError, match="needs sequences of at least 9 token positions; got 5"):
        head(Conv1D(filter_size=9))(rng.normal(size=(3, 5, 2)))


def test_a_sequence_left_without_tokens_is_named(rng):
    X = rng.normal(size=(3, 8, 2))
    X[2, 2:] = np.nan  # the centre of the first window (position 2) is padding
    k = head(Conv1D(filter_size=5))
    with pytest.raises(ValueError, match="X1: sample 2 has no real token left"):
        k(X)
    with pytest.raises(ValueError, match="X2: sample 2 has no real token left"):
        k(X[:2], X)
    with pytest.raises(ValueError, match="X: sample 2 has no real token left"):
        k.diag(X)
    with pytest.raises(ValueError, match="X1: sample 2 has no real token left"):
        k.vjp(np.ones((3, 3)), X)  # the kernel's gradient
    with pytest.raises(ValueError, match="X2: sample 2 has no real token left"):
        k.vjp(np.ones((2, 3)), X[:2], X)
    assert np.isfinite(head(Conv1D(filter_size=5, padding="same"))(X)).all()


@pytest.mark.parametrize("pool, needed", [(3, 2), (4, 2), (16, 8)])
def test_the_error_says_how_many_tokens_a_pool_needs(pool, needed, rng):
    """The estimators pool with padding='same' at a stride of ``pool``: the first
    window's centre is position (pool - 1) // 2 when the padded length needs no
    left padding, so shorter sequences keep no token."""
    X = rng.normal(size=(3, 32, 1))
    X[1, needed - 1:] = np.nan  # one token short
    est = AttentionNNGPRegressor(n_blocks=1, pool=pool)
    with pytest.raises(ValueError, match=rf"X: sample 1 has no real token left after the "
                       rf"windows of the network: it has {needed - 1} real tokens, and a "
                       rf"sequence padded at the end needs at least {needed} real tokens "
                       rf"among 32 positions.*an estimator's pool or filter_size"):
        est.fit(X, np.arange(3.0))
    X[1, needed - 1] = 0.5  # one more token: accepted
    assert np.isfinite(est.fit(X, np.arange(3.0)).predict(X)).all()


def test_pooling_divides_the_token_count(rng):
    X = rng.normal(size=(2, 10, 2))
    assert walked(AvgPool1D(window=4), X).nngp.shape == (2, 2, 2)
    assert walked(AvgPool1D(window=4, padding="same"), X).nngp.shape == (2, 3, 3)
    assert walked(Conv1D(filter_size=3, stride=3, padding="same"), X).mask1.shape == (2, 4)


def test_gradients_match_finite_differences(rng):
    """Conv1D's w_std and b_std are traced leaves: the kernels' VJP through the
    windows against central differences (tests/test_gradients.py)."""
    from test_gradients import directional_check

    X = padded_sequences(rng, 5, 7, 2, lengths=[7, 5, 6, 7, 4])
    k = head(Conv1D(filter_size=3, padding="same", w_std=1.2, b_std=0.3),
             AvgPool1D(window=2), SelfAttention(positional="sum", qk_std=1.3))
    assert directional_check(k, X, None, rng) <= 1e-5
