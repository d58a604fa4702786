"""Checks of the kernel engine that do not depend on neural-tangents."""

import dataclasses

import jax
import numpy as np
import pytest

from synthetic import Sandwiched, crossed, padded_sequences, sandwiched, walked
from skattn.kernels import (Dense, Erf, Gelu, GlobalAvgPool, Layer, Relu, SelfAttention, serial,
                            transformer)

ARCHITECTURES = [
    dict(),
    dict(positional="sum", pos_decay="exp", pos_scale=2.0, val_pos_emb=True),
    dict(attention="relu", layer_norm="pre", activation="erf", n_blocks=1),
    dict(attention="identity", scaling="sqrt", layer_norm="none", activation="gelu",
         positional="concat", n_blocks=1),
    dict(attention="abs", residual=False, mlp=False, b_std=0.3, positional="sum",
         pos_decay="inverse"),
]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def arccos_relu(q12, q11, q22):
    """Degree-1 arc-cosine kernel and its derivative kernel (Cho & Saul 2009)."""
    cos = np.clip(q12 / np.sqrt(q11 * q22), -1, 1)
    theta = np.arccos(cos)
    nngp = np.sqrt(q11 * q22) * (np.sin(theta) + (np.pi - theta) * cos) / (2 * np.pi)
    return nngp, (np.pi - theta) / (2 * np.pi)


def test_one_layer_relu_is_the_arccos_kernel(rng):
    X1, X2 = rng.normal(size=(6, 1, 4)), rng.normal(size=(5, 1, 4))
    k = serial(Dense(w_std=1.5, b_std=0.5), Relu(), GlobalAvgPool(), Dense(w_std=0.7))
    got = k(X1, X2, get=("nngp", "ntk"))

    q = lambda a, b: 1.5**2 * (a[:, 0] @ b[:, 0].T) / 4 + 0.25
    q12, q11, q22 = q(X1, X2), np.diag(q(X1, X1)), np.diag(q(X2, X2))
    relu, dot = arccos_relu(q12, q11[:, None], q22[None, :])
    np.testing.assert_allclose(got["nngp"], 0.49 * relu, rtol=1e-10)
    np.testing.assert_allclose(got["ntk"], 0.49 * relu + 0.49 * dot * q12, rtol=1e-10)


def test_one_token_attention_is_the_identity_map(rng):
    # With one token softmax weights are 1: attention passes the value kernel
    # through and its NTK gains 2 * nngp from the output and value weights.
    X1, X2 = rng.normal(size=(4, 1, 3)), rng.normal(size=(3, 1, 3))
    k = transformer(n_blocks=1, mlp=False, residual=False, layer_norm="none")
    got = k(X1, X2, get=("nngp", "ntk"))
    q = X1[:, 0] @ X2[:, 0].T / 3
    np.testing.assert_allclose(got["nngp"], q, rtol=1e-12)
    np.testing.assert_allclose(got["ntk"], 4 * q, rtol=1e-12)


@pytest.mark.parametrize("params", ARCHITECTURES)
def test_symmetric_positive_semidefinite(rng, params):
    X = padded_sequences(rng, 7, 5, 3)
    for kind, K in transformer(**params)(X, get=("nngp", "ntk")).items():
        np.testing.assert_array_equal(K, K.T)
        assert np.linalg.eigvalsh(K).min() > -1e-10 * np.abs(K).max(), kind


@pytest.mark.parametrize("params", ARCHITECTURES)
def test_own_pass_gives_the_diagonal(rng, params):
    """The sequence-by-itself pass (own layout, its own einsums) against the
    diagonal of the pair pass (cross layout)."""
    X = padded_sequences(rng, 7, 5, 3)  # as above: the same compiled tiles
    k = transformer(**params)
    full, diag = k(X, get=("nngp", "ntk")), k.diag(X, get=("nngp", "ntk"))
    for kind in ("nngp", "ntk"):
        # sqrt(eps) where a token meets itself in the arc-cosine kernels
        np.testing.assert_allclose(diag[kind], np.diag(full[kind]), rtol=2e-8)
    np.testing.assert_allclose(k.diag(X[3:5]), np.diag(full["nngp"])[3:5], rtol=2e-8)


@pytest.mark.parametrize("params, d", [
    (dict(), 3),
    (dict(b_std=0.4, layer_norm="pre"), 3),
    (dict(mlp=False, n_blocks=3, b_std=0.2), 2),  # ranks grow past L: both routes
    (dict(residual=False, attention="relu", mlp=False), 3),
    (dict(), 8),  # more features than tokens: the own pass sandwiches
    (dict(positional="sum", val_pos_emb=True, pos_std=0.7), 1),
    (dict(positional="concat", val_pos_emb=True, pos_decay="exp", pos_scale=2.0), 2),
    (dict(positional="sum", val_pos_emb=True, pos_decay="inverse", pos_p_norm=1.0,
          layer_norm="pre", b_std=0.3), 1),
])
def test_attention_on_features_equals_the_sandwich(rng, params, d):
    """Until the first nonlinearity attention multiplies token features (with
    val_pos_emb, the positions' too); the same network made to sandwich the
    kernels gives the same kernels, with padding and in both layouts."""
    X = padded_sequences(rng, 7, 5, d)
    fast = transformer(**params)
    slow = sandwiched(fast)
    for got, want in [(fast(X, X[:4], get=("nngp", "ntk")), slow(X, X[:4], get=("nngp", "ntk"))),
                      (fast.diag(X, get=("nngp", "ntk")), slow.diag(X, get=("nngp", "ntk")))]:
        for kind in ("nngp", "ntk"):
            np.testing.assert_allclose(got[kind], want[kind], rtol=2e-8, atol=1e-12)


def test_features_route_is_taken_while_linear(rng):
    X = rng.normal(size=(3, 5, 2))
    out = walked(serial(Dense(b_std=0.5), SelfAttention()), X)
    # a bias column per Dense and attention layer with a non-zero b_std, whatever its
    # value (traced); none for a b_std of exactly 0, which is structure
    assert out.features is not None and out.features.rank == 2 + 1
    out = walked(serial(Dense(b_std=0.5), SelfAttention(b_std=1e-3)), X)
    assert out.features.rank == 2 + 1 + 1
    assert walked(serial(Dense(), Relu()), X).features is None
    # the values' positions add a column per token: 2 + 5 > 5 tokens, so the own
    # pass (one sequence at a time) sandwiches, while a pair of tiles of 3
    # sequences shares the features' products and takes them
    attention = SelfAttention(positional="sum", val_pos_emb=True)
    assert walked(attention, X).features is None
    assert crossed(attention, X, X).features.rank == 2 + 5
    assert crossed(attention, X[:1], X).features is None


def _with_bias(layer, b):
    """``layer`` with every ``b_std`` set to ``b`` (the leaves mapped, as an optimizer does)."""
    return jax.tree_util.tree_map_with_path(
        lambda path, v: b if getattr(path[-1], "name", None) == "b_std" else v, layer)


@pytest.mark.parametrize("params", [
    dict(n_blocks=1),  # features route, then a sandwich
    dict(n_blocks=1, positional="sum", val_pos_emb=True, filter_size=3),  # Conv1D, a sandwich
    dict(attention="identity", scaling="sqrt", n_blocks=1),
])
def test_a_zero_bias_left_out_is_the_limit_of_small_ones(rng, params):
    """A b_std of exactly 0 is structure: its terms are left out (not computed as
    zeros).  The kernels and their gradient are the limits of a tiny bias's, which
    takes the traced route; mapping the leaves to a non-zero bias brings it back."""
    zero, biased = transformer(**params), transformer(**params, b_std=0.7)
    tiny = _with_bias(zero, 1e-9)
    # the zeros are in the pytree's structure; a tiny bias has the non-zero one
    assert jax.tree.structure(zero) != jax.tree.structure(tiny)
    assert jax.tree.structure(tiny) == jax.tree.structure(biased)
    X = padded_sequences(rng, 5, 6, 2, lengths=[6, 3, 4, 6, 5])
    a, b = zero(X, get=("nngp", "ntk")), tiny(X, get=("nngp", "ntk"))
    for kind in a:
        np.testing.assert_allclose(a[kind], b[kind], rtol=1e-12)
    W = rng.normal(size=(5, 5))
    grads = [np.array(jax.tree.leaves(k.vjp(W, X))) for k in (zero, tiny)]
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(_with_bias(zero, 0.7)(X), biased(X), rtol=1e-12)


@dataclasses.dataclass(frozen=True)
class Doubled(Layer):
    """A layer of one's own that replaces the kernels with ``_replace``."""

    def apply(self, state, side1, side2):
        return state._replace(nngp=2 * state.nngp, ntk=2 * state.ntk)


def test_layers_of_ones_own_do_not_pass_stale_features(rng):
    X = padded_sequences(rng, 6, 5, 2)
    fast = serial(Dense(), Doubled(), SelfAttention(), GlobalAvgPool(), Dense())
    slow = serial(Dense(), Doubled(), Sandwiched(), GlobalAvgPool(), Dense())
    np.testing.assert_allclose(fast(X, get="ntk"), slow(X, get="ntk"), rtol=2e-8)
    np.testing.assert_allclose(fast.diag(X), slow.diag(X), rtol=2e-8)


@pytest.mark.parametrize("params", ARCHITECTURES)
def test_padding_tokens_change_nothing(rng, params):
    k = transformer(**params)
    X, Y = padded_sequences(rng, 4, 3, 2), padded_sequences(rng, 3, 4, 2)
    longer = np.concatenate([X, np.full((4, 3, 2), np.nan)], axis=1)
    base = k(X, Y, get=("nngp", "ntk"))
    more = k(longer, Y, get=("nngp", "ntk"))
    for kind in base:
        np.testing.assert_allclose(more[kind], base[kind], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("params", ARCHITECTURES[:2])
def test_leading_padding_equals_trailing_padding(rng, params):
    # Positional covariances depend on |s - t| only, so where the padding stands
    # does not matter.
    X = rng.normal(size=(3, 4, 2))
    post = np.concatenate([X, np.full((3, 2, 2), np.nan)], axis=1)
    pre = np.concatenate([np.full((3, 2, 2), np.nan), X], axis=1)
    k = transformer(**params)
    np.testing.assert_allclose(k(pre, get="ntk"), k(post, get="ntk"), rtol=1e-12)


def test_permuting_the_batch_permutes_the_kernel(rng):
    X, Y = padded_sequences(rng, 6, 4, 3), padded_sequences(rng, 5, 4, 3)
    p, q = rng.permutation(6), rng.permutation(5)
    k = transformer(positional="sum")
    np.testing.assert_allclose(k(X[p], Y[q]), k(X, Y)[np.ix_(p, q)], rtol=1e-12)


def test_train_kernel_equals_cross_kernel_with_itself(rng):
    X = padded_sequences(rng, 6, 4, 3)
    k = transformer()
    np.testing.assert_allclose(k(X, get="ntk"), k(X, X, get="ntk"), rtol=1e-12)


@jax.enable_x64(True)
def test_token_sums_and_their_derivative_equal_the_plain_sum(rng):
    """``KernelState.token_sum`` (two products with vectors of ones on the CPU,
    inside and outside ``jit``) equals NumPy's sum over the token axes, with and
    without ``keepdims``, in both layouts; its derivative is the weights spread
    over the tokens."""
    from skattn.kernels._state import KernelState

    for shape, axes, n2 in (((3, 4, 5, 4), (1, 3), 5), ((3, 4, 4), (1, 2), 3)):
        K = jax.numpy.asarray(rng.normal(size=shape), dtype=np.float64)
        state = KernelState(K, K, np.ones((3, 4)), np.ones((n2, 4)))
        for keepdims in (False, True):
            expected = K.sum(axis=axes, keepdims=keepdims)
            for run in (state.token_sum, jax.jit(state.token_sum, static_argnums=1)):
                np.testing.assert_allclose(run(K, keepdims), expected, rtol=1e-12, atol=1e-12)
        weights = rng.normal(size=K.sum(axis=axes).shape)
        grad = jax.grad(lambda K: (state.token_sum(K) * weights).sum())(K)
        np.testing.assert_allclose(grad, np.broadcast_to(
            np.expand_dims(weights, axes), shape), rtol=1e-13)


def test_token_sums_are_products_on_the_cpu_only():
    """The products are a CPU measure (see ``KernelState.token_sum``); lowered for
    a GPU, where XLA fuses elementwise work into reductions itself, the sum stays
    a reduction (this is checked without a GPU: lowering needs none)."""
    from skattn.kernels._state import KernelState

    K = np.ones((2, 3, 4, 3), np.float32)
    traced = jax.jit(KernelState(K, K, np.ones((2, 3)), np.ones((4, 3))).token_sum).trace(K)
    for platform, product in (("cpu", True), ("cuda", False)):
        text = traced.lower(lowering_platforms=(platform,)).as_text()
        assert ("dot_general" in text, "reduce" in text) == (product, not product), platform


def test_float32_inputs_give_float32_close_to_float64():
    """float32 kernels within 1e-6 of float64 relative to their largest entry,
    the diagonal included: a token against itself has cos = 1, which rounding
    puts a few ulps below 1, where asin's infinite slope made the float32 NTK's
    diagonal wrong by 3.2e-5 on these sequences (1.2e-7 since cosines within
    ``SNAP_ULPS`` of 1 are taken as 1)."""
    X = padded_sequences(np.random.default_rng(0), 16, 8, 3)
    k = transformer(n_blocks=2, positional="sum")
    k64, k32 = k(X, get=("nngp", "ntk")), k(X.astype(np.float32), get=("nngp", "ntk"))
    assert k64["ntk"].dtype == np.float64 and k32["ntk"].dtype == np.float32
    for kind in k64:
        assert np.abs(k32[kind] - k64[kind]).max() <= 1e-6 * np.abs(k64[kind]).max(), kind


def test_two_dimensional_input_is_one_feature_tokens(rng):
    X = rng.normal(size=(4, 5))
    k = transformer(n_blocks=1)
    np.testing.assert_array_equal(k(X), k(X[:, :, None]))


def test_different_token_counts_are_padded(rng):
    X, Y = padded_sequences(rng, 3, 3, 2), padded_sequences(rng, 4, 5, 2)
    Xl = np.concatenate([X, np.full((3, 2, 2), np.nan)], axis=1)
    k = transformer(positional="sum", pos_decay="exp")
    np.testing.assert_allclose(k(X, Y), k(Xl, Y), rtol=1e-12)


def test_custom_composition_without_pooling_is_rejected(rng):
    with pytest.raises(ValueError, match="GlobalAvgPool"):
        serial(Dense(), SelfAttention())(rng.normal(size=(2, 3, 2)))


def _gaussian_mean(f, q, size):
    """``E[f(u)]`` for ``u ~ N(0, q)``, by quadrature (independent of the closed forms),
    to 1e-15 times ``size``, the mean's order of magnitude, or 1e-12 relative."""
    from scipy import integrate, stats

    s = np.sqrt(q)
    edges = sorted({-40 * s, 40 * s} | {e for e in (-10.0, -1.0, 0.0, 1.0, 10.0)
                                         if abs(e) < 40 * s})
    # pieces at the scale of the derivatives' spike (|u| < 10) and of the density (s)
    return sum(integrate.quad(lambda u: f(u) * stats.norm.pdf(u / s) / s, a, b,
                              epsabs=1e-15 * size, epsrel=1e-12, limit=400)[0]
               for a, b in zip(edges, edges[1:]))


@jax.enable_x64(True)
@pytest.mark.parametrize("q", [1e-2, 1.0, 1e4, 1e12, 1e30])
def test_erf_and_gelu_stay_exact_for_large_variances(q):
    """A token against itself, ``E[phi(u)**2]`` and ``E[phi'(u)**2]`` by quadrature:
    the closed forms once cancelled to NaN or inf past variances of about 1e15
    (deep networks without layer normalisation reach them)."""
    from scipy.special import erf, ndtr

    # each with the order of magnitude of E[phi**2] and E[phi'**2]
    phis = {Erf: (erf, lambda u: 2 / np.sqrt(np.pi) * np.exp(-u * u), 1, 1 / np.sqrt(1 + q)),
            Gelu: (lambda u: u * ndtr(u), lambda u: ndtr(u) + u * np.exp(-u * u / 2)
                   / np.sqrt(2 * np.pi), q, 1)}
    for layer, (phi, dphi, size, dsize) in phis.items():
        nngp, dot = layer().transform(*(jax.numpy.array(q),) * 3)
        want = (_gaussian_mean(lambda u: phi(u) ** 2, q, size),
                _gaussian_mean(lambda u: dphi(u) ** 2, q, dsize))
        np.testing.assert_allclose([float(nngp), float(dot)], want, rtol=1e-9,
                                   err_msg=layer.__name__)


@jax.enable_x64(True)
def test_gelu_becomes_relu_for_large_variances():
    """``gelu(u) - relu(u)`` is bounded, so for variances ``q`` the kernels agree to
    ``O(1 / sqrt(q))`` relative, between any two tokens and a token against itself
    (the closed forms are independent: Tsuchida et al.'s and the arc-cosine kernel)."""
    rng = np.random.default_rng(0)
    q1, q2 = 1e24 * rng.uniform(0.5, 2, size=(2, 50))
    q12 = rng.uniform(-1, 1, size=50) * np.sqrt(q1 * q2)
    q12[:10] = q2[:10] = q1[:10]  # tokens against themselves
    args = [jax.numpy.array(a) for a in (q12, q1, q2)]
    for got, want in zip(Gelu().transform(*args), Relu().transform(*args)):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-9)


@pytest.mark.parametrize("activation", ["gelu", "erf"])
def test_deep_networks_without_normalisation_keep_finite_psd_kernels(activation):
    """Three blocks of relu attention without layer normalisation raise the GELU's
    variances to about 1e38 from inputs of size 3 (where its kernel was NaN)."""
    X = 3 * np.random.default_rng(0).normal(size=(6, 4, 2))
    X[::2, 2:] = np.nan
    layer = transformer(n_blocks=3, attention="relu", layer_norm="none", residual=False,
                        activation=activation)
    for K in layer(X, get=("nngp", "ntk")).values():
        assert np.isfinite(K).all()
        np.testing.assert_allclose(K, K.T, rtol=1e-12)
        eigenvalues = np.linalg.eigvalsh(K / np.abs(K).max())
        assert eigenvalues.min() > -1e-9
