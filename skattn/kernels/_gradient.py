"""Gradients of a kernel with respect to the layer's float hyperparameters.

What is computed is a vector-Jacobian product: for cotangents ``W`` (one
``(n1, n2)`` matrix per kernel kind) the gradient of the scalar::

    L(theta) = sum_kind sum_ij W_kind[i, j] K_kind(theta)[i, j]

with respect to every hyperparameter leaf of the layer (a pytree shaped like
the layer).  The marginal likelihood's gradient is one such product
(Rasmussen & Williams, eq. 5.9: ``W = (a a^T - A^-1) / 2``).

It runs on tiles as :mod:`._compute` cuts them, of a quarter of the kernel's
token pairs (``reverse=True`` in :func:`._tiling.auto_batch_size`: the
backward keeps the forward's intermediates), in reverse mode, with memory
bounded by a tile: a kernel depends on ``theta`` directly in the pair pass and
through each sequence's sides (attention matrices, token variances) in the own
pass, so

1. the pair pass differentiates each tile pair's kernel with respect to the
   layer and to both tiles' sides, with that tile of ``W`` as cotangent
   (``jax.vjp`` inside the ``lax.map`` over tiles: a tile's intermediates are
   recomputed and freed before the next tile's), summing the layer parts and
   adding the side parts into per-tile accumulators;
2. the own pass differentiates each tile's sides with respect to the layer,
   with the accumulated side cotangents.

A train-train kernel (``X2=None``) computes each unordered pair of tiles once:
tile ``(a, b)`` stands for both ``K[a, b]`` and ``K[b, a] = K[a, b]^T``, so its
cotangent is ``W[a, b] + W[b, a]^T`` (``(W + W^T) / 2`` on diagonal tiles,
whose kernel :func:`._compute.kernel_block` symmetrises).
"""

import jax
import numpy as np

from ._compute import (CHUNKS_IN_FLIGHT, KINDS, TILES_PER_CHUNK, _chunks, _parse_get, _take,
                       _walk_tile, pair_kernels, prepare, run_ahead, side_entries, tile_pairs,
                       traced, walk_tiles)
from ._devices import resolve_device
from ._tiling import power_of_two_at_least, resolve_batch_size


def _pair_vjp(layer, kinds, x1, m1, s1, x2, m2, s2, w):
    """Cotangents of (layer, side1, side2) for one tile pair's kernels."""
    def kernels(layer, s1, s2):
        return pair_kernels(layer, kinds, x1, m1, s1, x2, m2, s2)

    return jax.vjp(kernels, layer, s1, s2)[1](w)


def _chunk_pair_vjp(layer, kinds, x1, m1, s1, x2, m2, s2, w):
    """A chunk of tile pairs: the layer's cotangent summed (its leaves, as a list:
    a layer rebuilt from device arrays would wait for them), the sides' per tile."""
    dlayer, ds1, ds2 = jax.lax.map(
        lambda args: _pair_vjp(layer, kinds, *args), (x1, m1, s1, x2, m2, s2, w))
    return [g.sum(axis=0) for g in jax.tree.leaves(dlayer)], ds1, ds2


def _chunk_walk_vjp(layer, x, m, ds):
    """A chunk of tiles: the layer's cotangent through the own pass, summed (leaves)."""
    def tile(args):
        x, m, ds = args
        return jax.vjp(lambda layer: _walk_tile(layer, x, m)[0], layer)[1](ds)[0]

    return [g.sum(axis=0) for g in jax.tree.leaves(jax.lax.map(tile, (x, m, ds)))]


_jit_chunk_pair_vjp = jax.jit(_chunk_pair_vjp, static_argnums=1)
_jit_chunk_walk_vjp = jax.jit(_chunk_walk_vjp)


def _walk_vjp(layer, tiles, masks, dsides, device, total):
    """Add to ``total`` (the layer's leaves) the own pass's layer cotangent over
    the tiles, given the sides' cotangents."""
    per_chunk = min(TILES_PER_CHUNK, power_of_two_at_least(len(tiles)))

    def dispatched():
        for idx, used in _chunks(len(tiles), per_chunk):
            ds = _take(dsides, idx)
            if used < len(idx):  # repeats that pad the chunk contribute nothing
                ds = jax.tree.map(lambda d: np.where(
                    (np.arange(len(idx)) < used).reshape((-1,) + (1,) * (d.ndim - 1)), d, 0), ds)
            args = jax.device_put((tiles[idx], masks[idx], ds), device)
            yield (_jit_chunk_walk_vjp(layer, *args),)

    def collect(part):
        for leaf, g in zip(total, part):
            leaf += np.asarray(g)

    run_ahead(dispatched(), collect, CHUNKS_IN_FLIGHT)


def _cotangent_tiles(W, count1, count2, side):
    """``W`` zero-padded and cut into ``(count1, count2, side, side)`` tiles."""
    full = np.zeros((count1 * side, count2 * side), W.dtype)
    full[:W.shape[0], :W.shape[1]] = W
    return full.reshape(count1, side, count2, side).transpose(0, 2, 1, 3)


def kernel_vjp(layer, cotangent, X1, X2=None, *, get="nngp", batch_size="auto",
               device=None):
    """Gradient of ``sum(cotangent * K)`` with respect to the layer's hyperparameters.

    See :meth:`Layer.vjp`.
    """
    kinds = _parse_get(get)
    weights = cotangent if isinstance(get, (tuple, list)) else {kinds[0]: cotangent}
    v1, m1, v2, m2, dtype = prepare(X1, X2, layer=layer)
    symmetric = v2 is None
    if symmetric:
        v2, m2 = v1, m1
    for kind in kinds:
        if np.shape(weights[kind]) != (len(v1), len(v2)):
            raise ValueError(f"cotangent of {kind!r} must have shape {(len(v1), len(v2))}; "
                             f"got {np.shape(weights[kind])}.")
    device = resolve_device(device) or jax.devices()[0]
    side = resolve_batch_size(batch_size, max(len(v1), len(v2)), v1.shape[1], dtype, device,
                              side_entries=side_entries(layer, *v1.shape[1:], dtype),
                              reverse=True)
    kinds = tuple(k for k in KINDS if k in kinds)
    with jax.enable_x64(dtype == np.float64):
        layer = traced(layer, dtype)
        t1, tm1, s1, _ = walk_tiles(layer, v1, m1, side, device)
        t2, tm2, s2 = t1, tm1, s1
        if not symmetric:
            t2, tm2, s2, _ = walk_tiles(layer, v2, m2, side, device)
        w = {}
        for kind in kinds:
            W = np.asarray(weights[kind], dtype)
            w[kind] = _cotangent_tiles(W, len(t1), len(t2), side)
            if symmetric:  # tile (a, b) stands for (b, a) too
                w[kind] = w[kind] + w[kind].transpose(1, 0, 3, 2)
                for a in range(len(t1)):
                    w[kind][a, a] /= 2
        pairs = np.array(tile_pairs(len(t1), len(t2), symmetric))
        per_chunk = min(TILES_PER_CHUNK, power_of_two_at_least(len(pairs)))
        ds1 = jax.tree.map(np.zeros_like, s1)
        ds2 = ds1 if symmetric else jax.tree.map(np.zeros_like, s2)
        leaves, treedef = jax.tree.flatten(layer)
        total = [np.zeros(np.shape(leaf), dtype) for leaf in leaves]

        def dispatched():
            for idx, used in _chunks(len(pairs), per_chunk):
                a, b = pairs[idx, 0], pairs[idx, 1]
                live = (np.arange(len(idx)) < used).astype(dtype)[:, None, None]
                wt = tuple(w[kind][a, b] * live for kind in kinds)  # repeats count zero
                args = (t1[a], tm1[a], _take(s1, a), t2[b], tm2[b], _take(s2, b), wt)
                yield a, b, _jit_chunk_pair_vjp(layer, kinds, *jax.device_put(args, device))

        def collect(a, b, outputs):
            dleaves, g1, g2 = jax.tree.map(np.asarray, outputs)
            for leaf, g in zip(total, dleaves):
                leaf += g
            jax.tree.map(lambda acc, g: np.add.at(acc, a, g), ds1, g1)
            jax.tree.map(lambda acc, g: np.add.at(acc, b, g), ds2, g2)

        run_ahead(dispatched(), collect, CHUNKS_IN_FLIGHT)
        _walk_vjp(layer, t1, tm1, ds1, device, total)
        if not symmetric:
            _walk_vjp(layer, t2, tm2, ds2, device, total)
    return jax.tree.unflatten(treedef, [float(leaf) for leaf in total])
