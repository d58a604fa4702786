"""``Layer.kernel_fn``: the kernel as one JAX function, against the tiled engine."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from synthetic import padded_sequences
from skattn.kernels import (AvgPool1D, Conv1D, Dense, Erf, GlobalAvgPool, LayerNorm,
                            SelfAttention, paper_imdb, residual, serial, transformer)
from skattn.kernels._compute import traced

NETWORKS = {
    "estimators": transformer(n_blocks=2, positional="sum", val_pos_emb=True, b_std=0.2),
    "pre-ln-relu-attention": transformer(n_blocks=1, attention="relu", layer_norm="pre",
                                         positional="concat", pos_decay="exp"),
    "conv-pool": serial(Conv1D(filter_size=3), AvgPool1D(2), residual(SelfAttention()),
                        LayerNorm(), Dense(), Erf(), GlobalAvgPool(), Dense(b_std=0.3)),
    "paper-imdb": paper_imdb(filter_size=3, qk_std=0.7),
}
KINDS = ("nngp", "ntk")


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


@pytest.mark.parametrize("name", NETWORKS)
def test_kernel_fn_equals_the_tiled_kernels(name):
    rng = np.random.default_rng(0)
    net = NETWORKS[name]
    X1 = padded_sequences(rng, 6, 8, 3, lengths=[8, 2, 5, 8, 3, 7])
    X2 = padded_sequences(rng, 3, 6, 3, lengths=[6, 4, 2])  # fewer token positions
    for a, b in ((X1, None), (X1, X2)):
        expected = net(a, b, get=KINDS, batch_size=2)
        got = jax.jit(lambda x, y: net.kernel_fn(x, y, get=KINDS))(a, b)
        for kind in KINDS:
            assert got[kind].dtype == jnp.float64
            np.testing.assert_allclose(got[kind], expected[kind], rtol=1e-11, atol=1e-13)
        if b is None:
            np.testing.assert_array_equal(got["ntk"], got["ntk"].T)


def test_a_2d_array_is_one_feature_tokens():
    rng = np.random.default_rng(3)
    net = serial(Dense(), SelfAttention(positional="sum"), GlobalAvgPool(), Dense())
    X = padded_sequences(rng, 4, 5, 1, lengths=[5, 2, 4, 1])[:, :, 0]
    np.testing.assert_allclose(net.kernel_fn(X, get="ntk"), net(X, get="ntk"),
                               rtol=1e-11, atol=1e-13)


def test_hyperparameters_are_traced_and_differentiable():
    """One compilation serves two values of every hyperparameter, and jax.grad of
    sum(W * K) by them equals the engine's tiled reverse pass, Layer.vjp."""
    rng = np.random.default_rng(1)
    X = padded_sequences(rng, 5, 6, 2, lengths=[6, 1, 4, 6, 3])
    W = rng.normal(size=(5, 5))
    compiled = []

    @jax.jit
    def objective(net, x):
        compiled.append(1)  # runs once per trace
        return jnp.sum(W * net.kernel_fn(x, get="ntk"))

    for qk_std in (0.8, 1.4):
        net = transformer(n_blocks=1, positional="sum", val_pos_emb=True, qk_std=qk_std,
                          b_std=0.3)
        value, grad = jax.value_and_grad(objective)(traced(net, np.float64), X)
        assert value == pytest.approx(np.sum(W * net(X, get="ntk")), rel=1e-11)
        expected = net.vjp(W, X, get="ntk", batch_size=2)
        np.testing.assert_allclose(jax.tree.leaves(grad), jax.tree.leaves(expected),
                                   rtol=1e-9)
    assert len(compiled) == 1


def test_gradient_by_the_inputs_matches_finite_differences_and_skips_padding():
    rng = np.random.default_rng(2)
    net = transformer(n_blocks=1, positional="sum", val_pos_emb=True, b_std=0.2)
    X = padded_sequences(rng, 4, 5, 2, lengths=[5, 3, 5, 2])
    x = padded_sequences(rng, 2, 5, 2, lengths=[5, 3])
    W = rng.normal(size=(2, 4))

    @jax.jit
    def objective(x):
        return jnp.sum(W * net.kernel_fn(x, X, get="ntk"))

    grad = np.asarray(jax.grad(objective)(x))
    padding = np.isnan(x)
    assert np.isfinite(grad).all() and (grad[padding] == 0).all()
    v = np.where(padding, 0, rng.normal(size=x.shape))
    h = 1e-5
    numeric = (objective(x + h * v) - objective(x - h * v)) / (2 * h)
    assert np.sum(grad * v) == pytest.approx(float(numeric), rel=1e-7)


def test_vmap_over_data_sets_and_over_hyperparameter_values():
    rng = np.random.default_rng(4)
    sets = rng.normal(size=(3, 4, 5, 2))
    net = transformer(n_blocks=1, positional="sum")
    batched = jax.jit(jax.vmap(net.kernel_fn))(sets)
    for X, K in zip(sets, batched):
        np.testing.assert_allclose(K, net(X), rtol=1e-11)
    values = jnp.array([0.5, 2.0])
    swept = jax.jit(jax.vmap(lambda q: transformer(n_blocks=1, positional="sum", qk_std=q)
                             .kernel_fn(sets[0])))(values)
    for q, K in zip(values, swept):
        np.testing.assert_allclose(K, transformer(n_blocks=1, positional="sum",
                                                  qk_std=float(q))(sets[0]), rtol=1e-11)
