"""Tiled evaluation of a layer's kernel on padded sequences.

The ``n1 x n2`` sequence pairs are cut into square tiles of ``batch_size``
sequences a side.  The whole network runs on one tile at a time (inside a
``lax.map``), so a tile's token-level kernels stay in the processor's cache
and memory is bounded by the tile, whatever ``n1`` and ``n2``.  A train-train
kernel (``X2=None``) computes each unordered pair of tiles once and mirrors it.

Tiles are grouped into chunks, one jitted call each: the layer is a static
(hashable) argument and shapes are rounded to powers of two, so there is one
compilation per architecture, token count, width and dtype, shared by every
caller.  Chunks are spread over ``jax.devices()`` and drive the progress bar.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._inputs import as_sequences
from ._state import input_state

KINDS = ("nngp", "ntk")
#: Token pairs per tile: 2**18 keeps a tile's kernels (~1 MiB each in float32)
#: in cache.
TILE_TOKEN_PAIRS = 2**18
#: Tiles per jitted call (the unit of progress and of device placement).
TILES_PER_CHUNK = 16


def _parse_get(get):
    kinds = (get,) if isinstance(get, str) else tuple(get)
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"get must be 'nngp', 'ntk' or a tuple of them; got {get!r}.")
    return kinds


def _tile_kernels(layer, x1, m1, x2, m2):
    state = layer.apply(input_state(x1, m1, x2, m2))
    if not state.pooled:
        raise ValueError(
            "The architecture must reduce the tokens (end with GlobalAvgPool and a "
            "Dense readout) to give one kernel value per pair of sequences."
        )
    return state.nngp, state.ntk


def _chunk_kernels(layer, x1, m1, x2, m2):
    """Kernels of a chunk of tiles: inputs (P, t, L, d), outputs (P, t, t) twice."""
    return jax.lax.map(lambda args: _tile_kernels(layer, *args), (x1, m1, x2, m2))


_jit_chunk_kernels = jax.jit(_chunk_kernels, static_argnums=0)


def _power_of_two_at_least(n):
    return 1 << max(0, math.ceil(math.log2(n)))


def auto_batch_size(n, length):
    """Sequences per tile side: ``TILE_TOKEN_PAIRS`` token pairs, at most ``n``."""
    side = max(1, math.isqrt(TILE_TOKEN_PAIRS) // length)
    return min(side, _power_of_two_at_least(n))


def _pad_tokens(values, mask, length):
    extra = length - values.shape[1]
    if extra == 0:
        return values, mask
    return (np.pad(values, ((0, 0), (0, extra), (0, 0))),
            np.pad(mask, ((0, 0), (0, extra))))


def _tiles(values, mask, side):
    """Split into tiles of ``side`` sequences, padding with one-token dummies."""
    n, length, width = values.shape
    count = -(-n // side)
    extra = count * side - n
    values = np.pad(values, ((0, extra), (0, 0), (0, 0)))
    dummy = np.zeros((extra, length), bool)
    dummy[:, 0] = True
    mask = np.concatenate([mask, dummy])
    return (values.reshape(count, side, length, width),
            mask.reshape(count, side, length))


def prepare(X1, X2=None):
    """Validate inputs: ``(v1, m1, v2, m2, dtype)`` with equal token counts.

    ``v2`` and ``m2`` are None when ``X2`` is None.
    """
    v1, m1 = as_sequences(X1, "X1")
    if X2 is None:
        return v1, m1, None, None, v1.dtype
    v2, m2 = as_sequences(X2, "X2")
    if v1.shape[2] != v2.shape[2]:
        raise ValueError(
            f"X1 has {v1.shape[2]} features per token but X2 has {v2.shape[2]}."
        )
    dtype = np.result_type(v1.dtype, v2.dtype)
    length = max(v1.shape[1], v2.shape[1])  # trailing padding changes no kernel
    v1, m1 = _pad_tokens(v1.astype(dtype), m1, length)
    v2, m2 = _pad_tokens(v2.astype(dtype), m2, length)
    return v1, m1, v2, m2, dtype


def tile_pairs(count1, count2, symmetric):
    """Tile index pairs to compute; only ``a <= b`` when symmetric."""
    return [(a, b) for a in range(count1) for b in range(count2)
            if not (symmetric and b < a)]


def _side(batch_size, n, length):
    if batch_size == "auto":
        return auto_batch_size(n, length)
    if isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool) \
            and batch_size > 0:
        return int(batch_size)
    raise ValueError(f"batch_size must be a positive integer or 'auto'; got {batch_size!r}.")


def evaluate(layer, X1, X2=None, *, get="nngp", batch_size="auto", device=None,
             progress=False):
    """Kernels of ``layer`` between ``X1`` and ``X2``: see :meth:`Layer.__call__`."""
    kinds = _parse_get(get)
    v1, m1, v2, m2, dtype = prepare(X1, X2)
    symmetric = v2 is None
    if symmetric:
        v2, m2 = v1, m1
    n1, n2, length = v1.shape[0], v2.shape[0], v1.shape[1]
    side = _side(batch_size, max(n1, n2), length)
    t1, tm1 = _tiles(v1, m1, side)
    t2, tm2 = _tiles(v2, m2, side)
    pairs = tile_pairs(len(t1), len(t2), symmetric)
    per_chunk = min(TILES_PER_CHUNK, _power_of_two_at_least(len(pairs)))
    chunks = [pairs[i:i + per_chunk] for i in range(0, len(pairs), per_chunk)]
    devices = [device] if device is not None else jax.devices()

    full = {k: np.empty((len(t1) * side, len(t2) * side), dtype) for k in KINDS}
    with jax.enable_x64(dtype == np.float64):
        pending = []
        for index, chunk in enumerate(chunks):
            idx = np.array(chunk + [chunk[0]] * (per_chunk - len(chunk)))
            args = (t1[idx[:, 0]], tm1[idx[:, 0]], t2[idx[:, 1]], tm2[idx[:, 1]])
            args = jax.device_put(args, devices[index % len(devices)])
            pending.append((chunk, _jit_chunk_kernels(layer, *args)))
        if progress:
            from tqdm.auto import tqdm

            pending = tqdm(pending, desc="kernel chunks", unit="chunk")
        for chunk, result in pending:
            for kind, values in zip(KINDS, result):
                values = np.asarray(values)
                for (a, b), tile in zip(chunk, values):
                    full[kind][a * side:(a + 1) * side, b * side:(b + 1) * side] = tile
                    if symmetric:
                        full[kind][b * side:(b + 1) * side, a * side:(a + 1) * side] = tile.T
    out = {}
    for kind in kinds:
        K = full[kind][:n1, :n2]
        out[kind] = (K + K.T) / 2 if symmetric else np.ascontiguousarray(K)
    return out[kinds[0]] if isinstance(get, str) else out
