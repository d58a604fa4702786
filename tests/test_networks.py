"""Finite-width networks and their Monte Carlo kernels, checked against the
analytic kernels (no neural-tangents involved)."""

import jax
import numpy as np
import pytest
from numpy.testing import assert_allclose

from synthetic import padded_sequences
from skattn.kernels import (AvgPool1D, Conv1D, Dense, Erf, Gelu, GlobalAvgPool, Identity, Layer,
                            LayerNorm, Relu, SelfAttention, paper_imdb, residual, serial,
                            transformer)
from skattn.networks import finite, monte_carlo_kernel

WIDTH, SAMPLES = 128, 64


@pytest.fixture(scope="module")
def X():
    # float32: the networks run twice as fast, and their error is far above its rounding
    return padded_sequences(np.random.default_rng(0), 3, 4, 2, lengths=[4, 2, 3])


def head(*layers):
    """``layers`` on the tokens, then pooling and a readout."""
    return serial(*layers, GlobalAvgPool(), Dense(w_std=1.2))


#: Every layer and option, each in a small network (name -> layer).  Attention
#: with positional embeddings follows a Dense: the kernel is the limit of wide
#: inputs, and raw tokens of 2 features would give embeddings of 2 channels.
NETWORKS = {
    "dense-relu-erf-gelu": head(Dense(w_std=1.5, b_std=0.5), Relu(), Dense(), Erf(),
                                Dense(b_std=0.2), Gelu()),
    "identity-layernorm-residual": head(Dense(), residual(Dense(), Relu(), Dense()),
                                        LayerNorm(), Identity()),
    "identity-sum-exp-values": head(Dense(), SelfAttention(
        attention="identity", positional="sum", pos_decay="exp", pos_scale=2.0,
        val_pos_emb=True, ov_std=0.8)),
    "relu-concat-inverse": head(Dense(), SelfAttention(
        attention="relu", positional="concat", pos_decay="inverse", pos_std=0.7)),
    "abs-sum-bias": head(Dense(), SelfAttention(attention="abs", positional="sum",
                                                b_std=0.3, pos_p_norm=1)),
    "sqrt-identity-concat-values": head(Dense(), SelfAttention(
        attention="identity", scaling="sqrt", positional="concat", val_pos_emb=True)),
    "sqrt-identity-sum-exp": head(Dense(), SelfAttention(
        attention="identity", scaling="sqrt", positional="sum", pos_decay="exp",
        qk_std=0.8)),
    # windows on 4 tokens: in the sequences of 2 and 3 tokens some windows hold a real
    # token at a padding centre (masked, as in the kernel), some padding only (zero)
    "conv-same-stride-bias": head(Conv1D(filter_size=3, stride=2, padding="same",
                                         w_std=1.3, b_std=0.4), Relu()),
    "conv-valid-bias-avgpool-same": head(Conv1D(filter_size=3, b_std=0.3), Relu(),
                                         AvgPool1D(window=2, stride=1, padding="same")),
    "conv-circular-avgpool-valid": head(Conv1D(filter_size=2, padding="circular", w_std=0.9),
                                        Erf(), AvgPool1D(window=3, stride=1)),
    "paper-imdb": paper_imdb(filter_size=3, qk_std=0.7),
    "transformer-post-conv-pool": transformer(n_blocks=1, positional="sum", b_std=0.1,
                                              mlp=False, filter_size=3, pool=2),
    # softmax attention on the raw tokens, no positional embeddings
    "transformer-pre-gelu": transformer(n_blocks=1, layer_norm="pre", activation="gelu",
                                        qk_std=1.5),
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_monte_carlo_kernel_is_within_its_standard_errors(name, X):
    """The estimate agrees with the analytic NNGP and NTK within 4 standard
    errors that the samples themselves give, plus a bias allowance of
    ``max|K| / width`` for the finite width."""
    layer = NETWORKS[name]
    exact = layer(X, get=("nngp", "ntk"))
    mc, se = monte_carlo_kernel(layer, X.astype(np.float32), width=WIDTH, n_samples=SAMPLES,
                                random_state=0, get=("nngp", "ntk"), return_stderr=True)
    for kind in exact:
        scale = np.abs(exact[kind]).max()
        assert np.all(se[kind] > 0) and np.all(se[kind] < 0.35 * scale), kind
        error = np.abs(mc[kind] - exact[kind])
        z = error / se[kind]
        assert np.all(error <= 4 * se[kind] + scale / WIDTH), (kind, z.max())


SMALL = head(Dense(b_std=0.3), Relu())


def test_error_shrinks_with_samples_and_width(X):
    """More samples shrink the error of both kernels; more width shrinks the
    spread of the NTK, which is deterministic in the limit."""
    exact = SMALL(X, get=("nngp", "ntk"))

    def error(width, n_samples):
        mc, se = monte_carlo_kernel(SMALL, X, width=width, n_samples=n_samples,
                                    random_state=1, get=("nngp", "ntk"), return_stderr=True,
                                    samples_per_call=16)
        return {k: (np.abs(mc[k] - exact[k]).mean(), se[k].mean()) for k in mc}

    few, many, wide = error(16, 16), error(16, 128), error(256, 16)
    for kind in ("nngp", "ntk"):
        assert many[kind][0] < few[kind][0] and many[kind][1] < 0.5 * few[kind][1], kind
    assert wide["ntk"][0] < few["ntk"][0] and wide["ntk"][1] < 0.5 * few["ntk"][1]


def test_one_seed_one_set_of_networks_whatever_the_batching_and_the_calls(X, monkeypatch):
    """Samples per call and blocks of sequences change no estimate; cross kernels
    and diagonals computed apart are blocks of one joint estimate (what an
    estimator's fit and predict rely on); another seed gives another one."""
    kwargs = dict(width=8, n_samples=7, get=("nngp", "ntk"))
    joint = monte_carlo_kernel(SMALL, X, random_state=3, samples_per_call=7, **kwargs)
    kwargs["samples_per_call"] = 3
    monkeypatch.setattr("skattn.networks._monte_carlo.GRADIENT_ELEMENTS", 300)  # 1-row blocks
    blocks = monte_carlo_kernel(SMALL, X, random_state=3, **kwargs)
    cross = monte_carlo_kernel(SMALL, X[:1], X[1:], random_state=3, **kwargs)
    diag = monte_carlo_kernel(SMALL, X, diagonal=True, random_state=3, **kwargs)
    other = monte_carlo_kernel(SMALL, X, random_state=4, **kwargs)
    for kind in joint:
        assert_allclose(blocks[kind], joint[kind], rtol=1e-10)
        assert_allclose(cross[kind], joint[kind][:1, 1:], rtol=1e-10)
        assert_allclose(diag[kind], np.diag(joint[kind]), rtol=1e-10)
        assert not np.allclose(other[kind], joint[kind])
        assert np.linalg.eigvalsh(joint[kind]).min() > -1e-10  # an average of Gram matrices


@pytest.mark.parametrize("precision", ["highest", "default"])
def test_the_networks_multiply_at_the_precision_asked(precision, X, monkeypatch):
    """A GPU's default float32 products (TF32) moved the estimate by 3e-3 where the
    estimators computed at "highest" (issue #14); JAX's CPU ignores the setting,
    so this reads what is in effect where the networks run."""
    import skattn.networks._monte_carlo as mc

    seen, run = [], mc._jit_moments
    monkeypatch.setattr(mc, "_jit_moments", lambda *a: seen.append(
        jax.config.jax_default_matmul_precision) or run(*a))
    monte_carlo_kernel(SMALL, X, width=4, n_samples=2, precision=precision)
    assert seen and set(seen) == {precision}


@pytest.mark.parametrize("cap", [16, 64, 256])
def test_blocks_are_the_fewest_and_pad_little(cap, monkeypatch):
    """A side of ``n`` sequences is cut into the fewest blocks of at most ``cap``
    rows, padded by less than ``ROW_STEP`` rows a block (a power of two below
    it), not to the next power of two (n=130 was a block of 256)."""
    from skattn.networks import _monte_carlo as mc

    monkeypatch.setattr(mc, "MAX_BLOCK_ROWS", cap)
    sizes = set()
    for n in range(1, 3 * cap + 2):
        rows = mc._block_rows(None, None, None, None, ("nngp",), n)
        blocks = -(-n // rows)
        sizes.add(rows)
        assert rows <= cap and blocks == -(-n // cap), n
        if rows > mc.ROW_STEP:
            assert rows % mc.ROW_STEP == 0 and blocks * rows - n < blocks * mc.ROW_STEP, n
        else:
            assert rows & (rows - 1) == 0 and rows < 2 * -(-n // blocks), n
    assert len(sizes) <= 5 + cap // mc.ROW_STEP  # few compilations


def test_sqrt_softmax_with_zero_logits_is_uniform_attention(X):
    """With ``qk_std=0`` every logit is 0 whatever the scaling, so softmax
    attention averages the tokens: the exact ``scaling="linear"`` kernel."""
    exact = head(Dense(), SelfAttention(qk_std=0.0))(X, get=("nngp", "ntk"))
    layer = head(Dense(), SelfAttention(qk_std=0.0, scaling="sqrt"))
    mc, se = monte_carlo_kernel(layer, X.astype(np.float32), width=32, n_samples=SAMPLES,
                                random_state=0, get=("nngp", "ntk"), return_stderr=True)
    for kind in exact:
        assert np.all(np.abs(mc[kind] - exact[kind]) <= 4 * se[kind]), kind


def test_network_shapes_weights_and_padding(X):
    key = jax.random.key(0)
    tied = finite(head(SelfAttention(positional="sum")), width=8, n_heads=2, out_width=3)
    params = tied.init(key, X)
    attention = params[0]
    assert "k" not in attention and attention["q"].shape == (2, 2, 4)  # W^K = W^Q
    assert attention["pos"].shape == (4, 2)
    separate = finite(SelfAttention(scaling="sqrt"), width=8, head_width=5).init(key, X)
    assert separate["k"].shape == separate["q"].shape == (1, 2, 5)
    apply = jax.jit(tied.apply)  # one compilation, not one per operation
    # full float32 products: a GPU's default TF32 differs with the batch by 1e-4
    with jax.default_matmul_precision("highest"):
        out = np.asarray(apply(params, X))
        # a sequence's output ignores padding: cut to its length, with the same embeddings
        alone = np.asarray(apply(params, X[1:2, :2]))
        listed = np.asarray(tied.apply(params, np.asarray(X).tolist()))  # apply jits itself
    assert out.shape == (3, 3) and np.all(np.isfinite(out))
    assert_allclose(listed, out, rtol=1e-6, atol=1e-7)
    assert_allclose(alone[0], out[1], rtol=1e-5, atol=1e-6)
    tokens = finite(serial(Dense(b_std=1.0)), width=4, out_width=4)
    token_out = np.asarray(jax.jit(tokens.apply)(tokens.init(key, X), X))
    assert token_out.shape == (3, 4, 4) and np.all(token_out[1, 2:] == 0)


@pytest.mark.parametrize("decay", [None, "exp", "inverse"])
def test_positional_embeddings_have_the_layer_covariance(decay):
    from skattn.kernels._attention import positional_covariance
    from skattn.networks._attention import covariance_root

    layer = SelfAttention(positional="sum", pos_decay=decay, pos_scale=2.0)
    C = np.asarray(covariance_root(layer, 6, np.float32), np.float64)
    R = np.asarray(positional_covariance(6, decay, 2.0, 2, np.float32))
    assert_allclose(C @ C.T, R, atol=1e-5)


class Custom(Layer):
    def apply(self, state, side1, side2):
        return state


@pytest.mark.parametrize("call, match", [
    (lambda X: finite(SMALL, width=0), "width must be a positive integer"),
    (lambda X: finite(SMALL, width=4, n_heads=1.5), "n_heads must be a positive integer"),
    (lambda X: finite(serial(Custom()), width=4), "Custom has no finite-width counterpart"),
    (lambda X: finite(serial(Relu()), width=4).init(jax.random.key(0), X),
     "no layer that maps channels"),
    (lambda X: monte_carlo_kernel(SMALL, X, width=4, n_samples=0), "n_samples must be"),
    (lambda X: monte_carlo_kernel(SMALL, X, X, width=4, n_samples=2, diagonal=True),
     "X2 must be None"),
    (lambda X: monte_carlo_kernel(SMALL, X, width=4, n_samples=2, get="cov"), "get must be"),
    (lambda X: monte_carlo_kernel(head(Conv1D(filter_size=5)), X, width=4, n_samples=2),
     "Conv1D: a window of 5 tokens"),
    (lambda X: monte_carlo_kernel(head(Conv1D()), X, X[1:2, :1], width=4, n_samples=2),
     "X2: sample 0 has no real token left"),
    (lambda X: monte_carlo_kernel(SMALL, X, width=4, n_samples=2, precision="tf32"),
     "precision must be one of"),
])
def test_bad_arguments_are_named(call, match, X):
    with pytest.raises((ValueError, TypeError), match=match):
        call(X)
