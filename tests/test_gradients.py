"""Kernel gradients with respect to the float hyperparameters, against finite differences."""

import jax
import numpy as np
import pytest

from synthetic import padded_sequences
from skattn.kernels import transformer

#: Between them, every value of every option of transformer() (and so every layer).
CONFIGS = {
    "softmax": dict(positional="sum", pos_decay="exp", b_std=0.3, qk_std=1.3),
    "relu_concat": dict(attention="relu", positional="concat", pos_decay="inverse",
                        pos_p_norm=1.5, val_pos_emb=True, layer_norm="pre",
                        activation="erf", b_std=0.2, pos_std=0.8),
    "abs_gelu": dict(attention="abs", layer_norm="none", activation="gelu",
                     residual=False, b_std=0.4, ov_std=0.7),
    "sqrt_identity": dict(attention="identity", scaling="sqrt", positional="sum",
                          activation="identity", mlp=False, b_std=0.1, qk_std=0.6),
}


def directional_check(k, X1, X2, rng, h=1e-4):
    """Relative error of the VJP against central differences in log space.

    Along a random direction ``v``, ``theta_i = theta0_i exp(s v_i)``: the
    derivative at ``s=0`` of ``sum(W * K)`` (both kernels) is
    ``sum_i grad_i theta0_i v_i``.
    """
    K = k(X1, X2, get=("nngp", "ntk"))
    W = {kind: rng.normal(size=K[kind].shape) for kind in K}
    grad = jax.tree.leaves(k.vjp(W, X1, X2, get=("nngp", "ntk")))
    leaves, treedef = jax.tree.flatten(k)
    v = rng.normal(size=len(leaves))

    def objective(s):
        moved = jax.tree.unflatten(treedef, [x * np.exp(s * vi) for x, vi in zip(leaves, v)])
        kernels = moved(X1, X2, get=("nngp", "ntk"))
        return sum((W[kind] * kernels[kind]).sum() for kind in kernels)

    numeric = (objective(h) - objective(-h)) / (2 * h)
    exact = float(np.dot(np.multiply(grad, leaves), v))
    return abs(exact - numeric) / abs(numeric)


@pytest.mark.parametrize("name", CONFIGS)
def test_gradient_matches_finite_differences(name):
    rng = np.random.default_rng(1)
    X = padded_sequences(rng, 5, 4, 2, lengths=[4, 1, 3, 4, 2])
    assert directional_check(transformer(n_blocks=1, **CONFIGS[name]), X, None, rng) <= 1e-5


def test_gradient_between_two_batches_and_small_tiles():
    rng = np.random.default_rng(2)
    X = padded_sequences(rng, 7, 4, 2)
    k = transformer(n_blocks=1, **CONFIGS["softmax"])
    assert directional_check(k, X, X[:3] + 0.1, rng) <= 1e-5
    # several tiles and chunks, mirrored pairs: the same gradient as one tile
    W = rng.normal(size=(7, 7))
    one = jax.tree.leaves(k.vjp(W, X))
    tiled = jax.tree.leaves(k.vjp(W, X, batch_size=2))
    np.testing.assert_allclose(tiled, one, rtol=1e-10)


def test_gradient_of_a_known_closed_form():
    """Dense readout: K = w_std**2 K0 + b_std**2, so dK/dw = 2 K0 w, dK/db = 2 b."""
    from skattn.kernels import Dense, GlobalAvgPool, serial

    rng = np.random.default_rng(3)
    X = padded_sequences(rng, 4, 3, 2)
    k = serial(GlobalAvgPool(), Dense(w_std=1.5, b_std=0.5))
    W = rng.normal(size=(4, 4))
    grad = k.vjp(W, X).layers[1]
    K0 = serial(GlobalAvgPool(), Dense())(X)
    assert grad.w_std == pytest.approx((W * 2 * 1.5 * K0).sum(), rel=1e-12)
    assert grad.b_std == pytest.approx(2 * 0.5 * W.sum(), rel=1e-12)


def test_safe_sqrt_is_sqrt_with_a_zero_derivative_at_zero():
    """Its custom derivative: 1 / (2 sqrt x) inside, 0 at (and below) 0, so that the
    arc-cosine kernel's derivative at cos = 1 is its finite limit, pi."""
    import jax.numpy as jnp

    from skattn.kernels._trig import asin, safe_sqrt

    x = np.array([-1.0, 0.0, 0.25, 4.0])
    np.testing.assert_array_equal(safe_sqrt(x), [0.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(jax.vmap(jax.grad(safe_sqrt))(x), [0.0, 0.0, 1.0, 0.25])
    arccos_term = jax.grad(lambda c: safe_sqrt(1 - c * c) + c * (jnp.pi / 2 + asin(c)))
    assert float(arccos_term(1.0)) == pytest.approx(np.pi, rel=1e-6)
