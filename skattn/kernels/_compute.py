"""Blocked evaluation of a layer's kernel on padded sequences.

The kernel of ``n1 x n2`` sequence pairs is computed block by block so that
memory stays bounded by ``batch_size``; a train-train kernel (``X2=None``)
computes each unordered pair of blocks once and mirrors it.  Each block is one
call of a jitted function whose static argument is the (hashable) layer, so
there is one compilation per architecture, block shape and dtype, shared by
every caller.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._inputs import as_sequences
from ._state import input_state

KINDS = ("nngp", "ntk")
#: Memory budget of one block's intermediate kernels, in bytes.
BLOCK_BUDGET = 512 * 2**20
#: Token-level arrays alive at once per sequence pair (measured headroom).
_LIVE_ARRAYS = 10


def _parse_get(get):
    kinds = (get,) if isinstance(get, str) else tuple(get)
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"get must be 'nngp', 'ntk' or a tuple of them; got {get!r}.")
    return kinds


def _block_kernels(layer, x1, m1, x2, m2):
    state = layer.apply(input_state(x1, m1, x2, m2))
    if not state.pooled:
        raise ValueError(
            "The architecture must reduce the tokens (end with GlobalAvgPool and a "
            "Dense readout) to give one kernel value per pair of sequences."
        )
    return state.nngp, state.ntk


_jit_block_kernels = jax.jit(_block_kernels, static_argnums=0)


def auto_batch_size(n, length, dtype):
    """Sequences per block so that a block's kernels fit in ``BLOCK_BUDGET``."""
    per_pair = _LIVE_ARRAYS * length**2 * np.dtype(dtype).itemsize
    return int(max(1, min(n, math.isqrt(BLOCK_BUDGET // per_pair))))


def _pad_tokens(values, mask, length):
    extra = length - values.shape[1]
    if extra == 0:
        return values, mask
    return (np.pad(values, ((0, 0), (0, extra), (0, 0))),
            np.pad(mask, ((0, 0), (0, extra))))


def _pad_block(values, mask, size):
    """Pad a block with dummy one-token sequences up to ``size`` (one shape per jit)."""
    extra = size - values.shape[0]
    if extra == 0:
        return values, mask
    values = np.pad(values, ((0, extra), (0, 0), (0, 0)))
    dummy = np.zeros((extra, mask.shape[1]), bool)
    dummy[:, 0] = True
    return values, np.concatenate([mask, dummy])


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


def block_pairs(n1, n2, size, symmetric):
    """Index ranges of the blocks to compute; only ``i <= j`` when symmetric."""
    starts1, starts2 = range(0, n1, size), range(0, n2, size)
    return [(slice(a, min(a + size, n1)), slice(b, min(b + size, n2)))
            for a in starts1 for b in starts2 if not (symmetric and b < a)]


def evaluate(layer, X1, X2=None, *, get="nngp", batch_size="auto", device=None,
             progress=False):
    """Kernels of ``layer`` between ``X1`` and ``X2``: see :meth:`Layer.__call__`."""
    kinds = _parse_get(get)
    v1, m1, v2, m2, dtype = prepare(X1, X2)
    symmetric = v2 is None
    if symmetric:
        v2, m2 = v1, m1
    n1, n2, length = v1.shape[0], v2.shape[0], v1.shape[1]
    if batch_size == "auto":
        size = auto_batch_size(max(n1, n2), length, dtype)
    elif isinstance(batch_size, (int, np.integer)) and batch_size > 0:
        size = int(batch_size)
    else:
        raise ValueError(f"batch_size must be a positive integer or 'auto'; got {batch_size!r}.")

    devices = [device] if device is not None else jax.devices()
    pairs = block_pairs(n1, n2, size, symmetric)
    out = {k: np.empty((n1, n2), dtype) for k in kinds}
    with jax.enable_x64(dtype == np.float64):
        pending = []
        for index, (r1, r2) in enumerate(pairs):
            dev = devices[index % len(devices)]
            args = (*_pad_block(v1[r1], m1[r1], size), *_pad_block(v2[r2], m2[r2], size))
            args = jax.device_put(args, dev)
            pending.append((r1, r2, _jit_block_kernels(layer, *args)))
        iterator = pending
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(pending, desc="kernel blocks", unit="block")
        for r1, r2, result in iterator:
            for kind, block in zip(KINDS, result):
                if kind not in out:
                    continue
                block = np.asarray(block)[: r1.stop - r1.start, : r2.stop - r2.start]
                out[kind][r1, r2] = block
                if symmetric:
                    out[kind][r2, r1] = block.T
    if symmetric:
        for kind in kinds:
            out[kind] = (out[kind] + out[kind].T) / 2
    return out[kinds[0]] if isinstance(get, str) else out
