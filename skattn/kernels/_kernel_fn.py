"""The kernel as one traceable JAX function of arrays, without the engine.

What each tile of :mod:`._compute` runs, on the whole input at once: the own
pass gives each sequence's sides (:func:`._compute._walk_tile`), then the
pair pass (:func:`._compute.pair_kernels`) gives every pair.  Nothing leaves
JAX, so ``jax.jit``, ``jax.grad`` (with respect to the inputs or to the
layer's hyperparameters) and ``jax.vmap`` go through it, as through
neural-tangents' ``kernel_fn``.
Memory is that of one tile of ``n1 x n2`` sequences, ``O(n1 n2 L**2)``: for
larger inputs :meth:`Layer.__call__` cuts the work into tiles.
"""

import jax
import jax.numpy as jnp

from ._compute import _parse_get, _walk_tile, pair_kernels
from ._state import split_padding


def _tokens(x, length):
    """:func:`._state.split_padding` of ``x``, with padding up to ``length`` positions."""
    values, mask = split_padding(x)
    extra = length - values.shape[1]
    return jnp.pad(values, ((0, 0), (0, extra), (0, 0))), jnp.pad(mask, ((0, 0), (0, extra)))


def kernel_fn(layer, x1, x2=None, *, get="nngp", precision="highest"):
    """The kernels between two batches of padded sequences, traceable by JAX.

    See :meth:`Layer.kernel_fn`.
    """
    kinds = _parse_get(get)
    length = max(jnp.shape(x)[1] for x in (x1, x2) if x is not None)
    with jax.default_matmul_precision(precision):
        v1, m1 = _tokens(x1, length)
        s1, _ = _walk_tile(layer, v1, m1)
        if x2 is None:
            v2, m2, s2 = v1, m1, s1
        else:
            v2, m2 = _tokens(x2, length)
            s2, _ = _walk_tile(layer, v2, m2)
        kernels = dict(zip(kinds, pair_kernels(layer, kinds, v1, m1, s1, v2, m2, s2)))
    if x2 is None:  # exactly symmetric, as the engine's
        kernels = {kind: (K + K.T) / 2 for kind, K in kernels.items()}
    return kernels if isinstance(get, (tuple, list)) else kernels[kinds[0]]
