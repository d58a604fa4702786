"""Tiled, parallel evaluation of a layer's kernel on padded sequences.

Two passes (see :class:`Layer`): :func:`walk_tiles` runs the network on each
sequence with itself and keeps the per-sequence sides, ``O(n)`` work, which
also gives the kernel's diagonal; then the pairs, reading the sides of both
sequences.  Three levels cut the work on the ``n1 x n2`` sequence pairs:

* tiles: groups of ``batch_size`` sequences a side (square for a train-train
  kernel; flat, of the same area, for a cross kernel with few rows: see
  :mod:`._tiling`, which also holds the automatic size).  The whole network
  runs on one tile at a time (inside a ``lax.map``), so a tile's token-level
  kernels stay in the processor's cache and memory is bounded by the tile,
  whatever ``n1`` and ``n2``.
* chunks: a few tiles per jitted call.  The layer is a pytree argument whose
  structure is static and whose float hyperparameters are traced (see
  :mod:`._base`), and shapes are rounded to powers of two, so there is one
  compilation per structure, token count, width and dtype, shared by every
  caller and every value of the hyperparameters.  Chunks are spread over
  ``jax.devices()`` (or pinned to ``device``, a name such as "gpu:1" resolved
  where the work runs: see `resolve_device`).
* tasks: rectangular blocks of the kernel dispatched through
  ``joblib.Parallel``, so ``n_jobs`` uses local processes and
  ``joblib.parallel_config(backend="dask")`` a Dask cluster.  A task carries
  the layer (plain configuration) and its slices of the data; each worker
  compiles once and reuses.  With one worker everything is one in-process task.

A train-train kernel (``X2=None``) computes each unordered pair of tiles or
blocks once and mirrors it.  The matrix products run at the ``precision`` of
:func:`jax.default_matmul_precision` ("highest" unless the caller asks for
speed: on GPUs JAX's default is TF32, 1e-4 relative error in float32).
"""

import collections
import functools
import math
import os
from typing import NamedTuple

import jax
import joblib
import numpy as np
from joblib.externals.loky.process_executor import TerminatedWorkerError

from .._inputs import Sequences, as_sequences
from ._devices import resolve_device
from ._state import input_state
from ._tiling import power_of_two_at_least, resolve_batch_size, tile_shape

KINDS = ("nngp", "ntk")
#: Matrix-product precisions (``jax.default_matmul_precision``): full float32,
#: bfloat16 x3 (GPU/TPU), and the platform's fastest (TF32 on recent GPUs).
PRECISIONS = ("highest", "high", "default")
#: Tiles per jitted call (a multiple of it is computed: small keeps the waste small).
TILES_PER_CHUNK = 8
#: Chunks dispatched ahead of the one being collected, per device.
CHUNKS_IN_FLIGHT = 2
#: Tasks per worker when the work is spread over several (load balance).
TASKS_PER_WORKER = 4
#: Largest task side (in sequences) when the kernel goes to a memory map.
OUT_BLOCK_SEQUENCES = 4096
#: Host memory the sides of one task's sequences may take.  A kernel of longer
#: or more sequences is computed in square blocks whose sides fit (each walks
#: its own sequences: the ``O(n)`` own pass once more per block row and column).
#: At L=1024 a sequence's sides take 8 MiB in float32, so blocks of 64.
TASK_SIDES_BYTES = 2**30
#: Show a progress bar by default from this many tiles on.
PROGRESS_FROM_TILES = 2000


def _parse_get(get):
    kinds = (get,) if isinstance(get, str) else tuple(get)
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"get must be 'nngp', 'ntk' or a tuple of them; got {get!r}.")
    return kinds


def _walk_tile(layer, x, m):
    """The own-layout pass over one tile: the sides and the pooled diagonal."""
    own, sides = layer.walk(input_state(x, m))
    if not own.pooled:
        raise ValueError(
            "The architecture must reduce the tokens (end with GlobalAvgPool and a "
            "Dense readout) to give one kernel value per pair of sequences."
        )
    return sides, {"nngp": own.nngp, "ntk": own.ntk}


def _walk_chunk(layer, x, m):
    """Sides and diagonals of a chunk of tiles: inputs (P, t, L, d)."""
    return jax.lax.map(lambda args: _walk_tile(layer, *args), (x, m))


def pair_kernels(layer, kinds, x1, m1, s1, x2, m2, s2):
    """The pair pass: the kernels in ``kinds`` (a tuple, in that order) between
    two batches whose sides ``s1`` and ``s2`` the own pass gave.

    Only those kernels are returned, so XLA drops the work of the others (an
    NNGP alone skips the NTK's attention products).
    """
    state = layer.apply(input_state(x1, m1, x2, m2), s1, s2)
    return tuple(getattr(state, kind) for kind in kinds)


def _chunk_kernels(layer, kinds, x1, m1, s1, x2, m2, s2):
    """Kernels of a chunk of tile pairs: inputs (P, t, L, d) and sides, outputs
    (P, t, t) per kind (:func:`pair_kernels` on each tile pair)."""
    return jax.lax.map(lambda args: pair_kernels(layer, kinds, *args),
                       (x1, m1, s1, x2, m2, s2))


_jit_walk_chunk = jax.jit(_walk_chunk)
_jit_chunk_kernels = jax.jit(_chunk_kernels, static_argnums=1)


def traced(layer, dtype):
    """``layer`` with its hyperparameters as arrays of ``dtype``: the argument the
    jitted functions get, so that one compilation serves every value (a Python
    int and a float, or float32 and float64 leaves, would each compile anew)."""
    return jax.tree.map(lambda value: np.asarray(value, dtype), layer)


def side_entries(layer, length, width, dtype):
    """Entries of one sequence's sides under ``layer`` (traced, not computed).

    They depend on the layer's structure only, so the trace is cached by
    structure: an optimizer's or a grid search's new values cost no trace."""
    return _side_entries(jax.tree.structure(layer), length, width, np.dtype(dtype))


@functools.lru_cache(maxsize=64)
def _side_entries(structure, length, width, dtype):
    layer = jax.tree.unflatten(structure, [jax.ShapeDtypeStruct((), dtype)]
                               * structure.num_leaves)
    x = jax.ShapeDtypeStruct((1, 1, length, width), dtype)
    m = jax.ShapeDtypeStruct((1, 1, length), bool)
    with jax.enable_x64(dtype == np.float64):
        sides, _ = jax.eval_shape(_walk_chunk, layer, x, m)
    return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(sides))


def sides_nbytes(layer, length, width, dtype):
    """Bytes of one sequence's sides under ``layer``."""
    return side_entries(layer, length, width, dtype) * np.dtype(dtype).itemsize


def chunk_memory(layer, kinds, shape, length, width, dtype, precision="highest"):
    """Bytes XLA assigns to one jitted chunk of tiles of ``shape`` sequences of
    ``length`` tokens (its arguments and its temporaries), from its compiled
    memory analysis; nothing is computed or allocated."""
    per_chunk = TILES_PER_CHUNK

    def inputs(side):
        x = jax.ShapeDtypeStruct((per_chunk, side, length, width), dtype)
        m = jax.ShapeDtypeStruct((per_chunk, side, length), bool)
        sides, _ = jax.eval_shape(lambda x, m: _walk_chunk(layer, x, m), x, m)
        return x, m, sides

    with jax.enable_x64(np.dtype(dtype) == np.float64), jax.default_matmul_precision(precision):
        x1, m1, s1 = inputs(shape[0])
        x2, m2, s2 = inputs(shape[1])
        kinds = tuple(k for k in KINDS if k in kinds)
        compiled = _jit_chunk_kernels.lower(layer, kinds, x1, m1, s1, x2, m2, s2).compile()
    analysis = compiled.memory_analysis()
    return analysis.argument_size_in_bytes + analysis.temp_size_in_bytes


def _take(tree, idx):
    return jax.tree.map(lambda a: a[idx], tree)


def _chunks(count, per_chunk):
    """Index arrays of ``per_chunk`` items covering ``range(count)``; the last
    is padded with repeats, so that every jitted call has one shape."""
    for start in range(0, count, per_chunk):
        idx = list(range(start, min(start + per_chunk, count)))
        yield np.array(idx + [idx[0]] * (per_chunk - len(idx))), len(idx)


def walk_tiles(layer, values, mask, side, device=None, precision="highest"):
    """Cut validated sequences into tiles of ``side`` and run the own pass.

    Returns ``(tiles, masks, sides, diagonal)``, on the host: the tiles as
    :func:`_tiles` cuts them, each leaf of ``sides`` with leading axes
    ``(tiles, side)``, and ``diagonal`` mapping "nngp" and "ntk" to
    ``(tiles, side)`` arrays.
    """
    tiles, masks = _tiles(values, mask, side)
    layer = traced(layer, tiles.dtype)
    per_chunk = min(TILES_PER_CHUNK, power_of_two_at_least(len(tiles)))
    parts = []
    with jax.enable_x64(tiles.dtype == np.float64), jax.default_matmul_precision(precision):
        for idx, used in _chunks(len(tiles), per_chunk):
            args = jax.device_put((tiles[idx], masks[idx]), device)
            part = jax.tree.map(np.asarray, _jit_walk_chunk(layer, *args))
            parts.append(_take(part, slice(0, used)))
    sides, diagonal = jax.tree.map(lambda *a: np.concatenate(a), *parts)
    return tiles, masks, sides, diagonal


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


def _known(X, own):
    """The validated sequences of ``own`` (an :class:`OwnPass`) where it holds them, else ``X``."""
    return X if own is None or own.sequences is None else own.sequences


def prepare(X1, X2=None, passes=(None, None), layer=None):
    """Validate inputs: ``(v1, m1, v2, m2, dtype)`` with equal token counts.

    ``v2`` and ``m2`` are None when ``X2`` is None.  A batch whose
    :class:`OwnPass` is given is not checked again: its pass holds its
    validated :class:`~skattn._inputs.Sequences`.  With ``layer``, every
    sequence, at the common token count, must keep a real token through the
    layer's windows (:func:`check_tokens_left`).
    """
    v1, m1 = as_sequences(_known(X1, passes[0]), "X1")
    v2 = m2 = None
    dtype = v1.dtype
    if X2 is not None:
        v2, m2 = as_sequences(_known(X2, passes[1]), "X2")
        if v1.shape[2] != v2.shape[2]:
            raise ValueError(
                f"X1 has {v1.shape[2]} features per token but X2 has {v2.shape[2]}."
            )
        dtype = np.result_type(v1.dtype, v2.dtype)
        length = max(v1.shape[1], v2.shape[1])  # trailing padding changes no kernel
        v1, m1 = _pad_tokens(v1.astype(dtype), m1, length)
        v2, m2 = _pad_tokens(v2.astype(dtype), m2, length)
    if layer is not None:
        check_tokens_left(layer, m1, "X1")
        if m2 is not None:
            check_tokens_left(layer, m2, "X2")
    return v1, m1, v2, m2, dtype


def tile_pairs(count1, count2, symmetric):
    """Tile (or block) index pairs to compute; only ``a <= b`` when symmetric."""
    return [(a, b) for a in range(count1) for b in range(count2)
            if not (symmetric and b < a)]


class OwnPass(NamedTuple):
    """What each sequence's pass with itself produced: the sides the pairs
    read (each leaf with a leading sequence axis), the kernels' diagonal
    (``{"nngp": (n,), "ntk": (n,)}``) and the validated sequences themselves
    (:class:`~skattn._inputs.Sequences`, so that they are not checked again).
    Plain numpy arrays: a fitted estimator keeps its training set's, and
    pickles it."""

    sides: object
    diagonal: dict
    sequences: Sequences = None  # None: a pass pickled before it kept them

    def __getitem__(self, rows):
        sequences = self.sequences
        if sequences is not None:
            sequences = Sequences(*(a[rows] for a in sequences))
        return OwnPass(_take(self.sides, rows), {k: v[rows] for k, v in self.diagonal.items()},
                       sequences)

    @property
    def nbytes(self):
        return sum(a.nbytes for a in jax.tree.leaves(tuple(self)))


def own_pass_nbytes(layer, X):
    """Bytes an :class:`OwnPass` of the sequences ``X`` (an array) would take:
    per sequence its sides, its diagonals, its values and its token mask."""
    n, length = X.shape[:2]
    width = X.shape[2] if X.ndim == 3 else 1
    values = (len(KINDS) + length * width) * X.dtype.itemsize + length  # the mask: bools
    return n * (sides_nbytes(layer, length, width, X.dtype) + values)


def own_pass(layer, X, *, batch_size="auto", device=None, precision="highest"):
    """Each sequence of ``X`` with itself, ``O(n)``: an :class:`OwnPass`, walked
    in chunks of tiles of ``batch_size`` sequences (the pairs' tile side)."""
    check_precision(precision)
    v, m, _, _, _ = prepare(X)
    check_tokens_left(layer, m, "X")
    # on a named device as the pairs' chunks are (kernel_block): JAX compiles
    # again for arrays committed to a device after uncommitted ones
    device = resolve_device(device) or jax.devices()[0]
    side = resolve_batch_size(batch_size, len(v), v.shape[1], v.dtype, device,
                              side_entries=side_entries(layer, *v.shape[1:], v.dtype))
    _, _, sides, diagonal = walk_tiles(layer, v, m, side, device, precision)
    flat = lambda a: a.reshape(-1, *a.shape[2:])[:len(v)]  # noqa: E731
    return OwnPass(jax.tree.map(flat, sides), {k: flat(d) for k, d in diagonal.items()},
                   Sequences(v, m))


def _tile_pass(values, mask, sides, side):
    """Tiles of ``side`` sequences of a batch whose own pass is known: the
    last sequence repeated as the padding (its sides are at hand)."""
    n, length, width = values.shape
    count = -(-n // side)
    idx = np.minimum(np.arange(count * side), n - 1)
    cut = lambda a: a[idx].reshape(count, side, *a.shape[1:])  # noqa: E731
    return cut(values), cut(mask), jax.tree.map(cut, sides)


def kernel_block(layer, v1, m1, v2, m2, kinds, shape, device=None, tick=None,
                 precision="highest", pass1=None, pass2=None):
    """Kernels between two validated batches; ``v2 is None`` means ``v1`` with itself.

    This is one task: it runs in the caller's process or on a joblib/Dask
    worker, in tiles of ``shape = (side1, side2)`` sequences.  A batch whose
    :class:`OwnPass` is given (``pass1``, ``pass2``) is not walked again.
    Returns ``{kind: (n1, n2) array}``; ``tick(k)`` reports ``k`` tiles done.
    """
    symmetric = v2 is None
    if symmetric:
        v2, m2, pass2 = v1, m1, pass1
    device = resolve_device(device)  # here: in the process that computes
    side1, side2 = shape
    devices = [device] if device is not None else jax.devices()

    def tiled(v, m, known, side):
        if known is not None:
            return _tile_pass(v, m, known.sides, side)
        return walk_tiles(layer, v, m, side, devices[0], precision)[:3]

    t1, tm1, s1 = tiled(v1, m1, pass1, side1)
    t2, tm2, s2 = t1, tm1, s1
    if not symmetric:
        t2, tm2, s2 = tiled(v2, m2, pass2, side2)
    pairs = np.array(tile_pairs(len(t1), len(t2), symmetric))
    per_chunk = min(TILES_PER_CHUNK, power_of_two_at_least(len(pairs)))
    kinds = tuple(k for k in KINDS if k in kinds)
    # the NTK's recursion carries the NNGP (Jacot et al. 2018): computing both was
    # no slower than the NTK alone (L=8 and 32 on the 2-core CPU), and then an
    # NTK model's fit (both) and predict (the NTK) share one program
    computed = KINDS if "ntk" in kinds else kinds
    layer = traced(layer, v1.dtype)
    n1, n2 = len(v1), len(v2)
    # exactly (n1, n2): the caller gets this array itself, no n x n copy
    full = {k: np.empty((n1, n2), v1.dtype) for k in kinds}

    def collect(chunk, result):
        for kind, values in zip(computed, result):
            if kind not in full:
                continue
            K = full[kind]
            for (a, b), tile in zip(chunk, np.asarray(values)):
                rows = slice(a * side1, min((a + 1) * side1, n1))
                cols = slice(b * side2, min((b + 1) * side2, n2))
                tile = tile[:rows.stop - rows.start, :cols.stop - cols.start]
                if symmetric and a == b:
                    K[rows, cols] = (tile + tile.T) / 2  # exactly symmetric
                else:
                    K[rows, cols] = tile
                    if symmetric:
                        K[cols, rows] = tile.T
        if tick is not None:
            tick(len(chunk))

    def dispatched():
        for number, (idx, used) in enumerate(_chunks(len(pairs), per_chunk)):
            a, b = pairs[idx, 0], pairs[idx, 1]
            args = (t1[a], tm1[a], _take(s1, a), t2[b], tm2[b], _take(s2, b))
            args = jax.device_put(args, devices[number % len(devices)])
            yield pairs[idx[:used]], _jit_chunk_kernels(layer, computed, *args)

    with jax.enable_x64(v1.dtype == np.float64), jax.default_matmul_precision(precision):
        run_ahead(dispatched(), collect, CHUNKS_IN_FLIGHT * len(devices))
    return full


def run_ahead(dispatched, collect, ahead):
    """``collect(*item)`` for each item of ``dispatched`` while up to ``ahead`` later
    ones are already dispatched: JAX computes chunks asynchronously, so the host
    cuts and sends the next chunks (and reads the earlier ones) while the device
    works, with no more than ``ahead`` chunks' outputs held at once."""
    in_flight = collections.deque()
    for item in dispatched:
        in_flight.append(item)
        if len(in_flight) > ahead:
            collect(*in_flight.popleft())
    while in_flight:
        collect(*in_flight.popleft())


def _task_blocks(n1, n2, shape, symmetric, workers, max_size=None):
    """Row and column ranges of the tasks, multiples of the tile ``shape``'s sides.

    One worker gets the whole matrix in one task, several get about
    ``TASKS_PER_WORKER`` tasks each; ``max_size`` caps a task's side (so that a
    kernel written to a memory map is never whole in memory).
    """
    per_side = 1 if workers == 1 else math.ceil(
        math.sqrt(TASKS_PER_WORKER * workers * (2 if symmetric else 1)))

    def size(n, side):
        tiles = -(-n // side)
        size = side * max(1, -(-tiles // per_side))
        if max_size is not None:
            size = min(size, side * max(1, max_size // side))
        return size

    size1, size2 = size(n1, shape[0]), size(n2, shape[1])
    count1, count2 = -(-n1 // size1), -(-n2 // size2)
    return [(slice(a * size1, min((a + 1) * size1, n1)),
             slice(b * size2, min((b + 1) * size2, n2)))
            for a, b in tile_pairs(count1, count2, symmetric)]


def task_side_limit(layer, shape, dtype, to_file=False):
    """Most sequences a side of one task: ``TASK_SIDES_BYTES`` of sides for its
    two batches (and ``OUT_BLOCK_SEQUENCES`` when the kernel goes to a file)."""
    limit = max(1, TASK_SIDES_BYTES // max(1, 2 * sides_nbytes(layer, *shape, dtype)))
    return min(limit, OUT_BLOCK_SEQUENCES) if to_file else limit


def _surviving(parts):
    """Pass results through; a worker that died becomes an error that says what to do."""
    try:
        yield from parts
    except TerminatedWorkerError as error:
        raise RuntimeError(
            "A worker computing kernel blocks died (killed, or out of memory), so the "
            "kernel is incomplete. Lower batch_size or n_jobs and call again; an "
            "estimator keeps the model it had before the call."
        ) from error


def _output(kinds, shape, dtype, out):
    if out is None:
        return {k: np.empty(shape, dtype) for k in kinds}
    paths = {kinds[0]: out} if not isinstance(out, dict) else out
    if set(paths) != set(kinds):
        raise ValueError(f"out must name one file per kernel in get={kinds}; got {out!r}.")
    return {k: np.lib.format.open_memmap(paths[k], mode="w+", dtype=dtype, shape=shape)
            for k in kinds}


def kernel_block_in_worker(*args, **kwargs):
    """:func:`kernel_block` in a worker process.

    A worker that is the first to use JAX on a GPU would otherwise take 75% of
    its memory (XLA's preallocation), so that a second worker, or the caller,
    fails for lack of memory: workers allocate as they go instead, unless the
    user set ``XLA_PYTHON_CLIENT_PREALLOCATE`` (read when JAX first starts
    its backend in the process, which is here).
    """
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    return kernel_block(*args, **kwargs)


def check_tokens_left(layer, mask, name):
    """Raise naming the first sequence that ``layer`` leaves without a real
    token (windows of Conv1D or AvgPool1D whose centres all fall on padding),
    whose mean over tokens would be 0 / 0, and the fewest real tokens that a
    sequence padded at the end needs at this padded length."""
    left = layer.out_mask(mask).any(axis=1)
    if not left.all():
        i = int(np.flatnonzero(~left)[0])
        length = mask.shape[1]
        counts = np.arange(1, length + 1)
        kept = layer.out_mask(np.arange(length)[None, :] < counts[:, None]).any(axis=1)
        needed = (f"a sequence padded at the end needs at least {counts[kept][0]} real "
                  f"tokens among {length} positions" if kept.any()
                  else f"no sequence of {length} positions keeps one")
        raise ValueError(
            f"{name}: sample {i} has no real token left after the windows of the "
            f"network: it has {int(mask[i].sum())} real tokens, and {needed}. An output "
            "token of Conv1D or AvgPool1D is real when the input token at its window's "
            "centre is. Use smaller windows (an estimator's pool or filter_size), "
            "padding='same' for Conv1D or AvgPool1D layers of your own, or longer "
            "sequences."
        )


def check_precision(precision):
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}; "
                         f"got {precision!r}.")


def evaluate(layer, X1, X2=None, *, get="nngp", batch_size="auto", device=None,
             progress=None, n_jobs=None, out=None, precision="highest", passes=(None, None)):
    """Kernels of ``layer`` between ``X1`` and ``X2``: see :meth:`Layer.__call__`.

    ``passes`` are the :class:`OwnPass` of ``X1`` and ``X2`` where known (a
    fitted estimator's training set, a prediction's new sequences): those
    batches are not walked again.
    """
    kinds = _parse_get(get)
    check_precision(precision)
    pass1, pass2 = passes
    if X2 is None:
        pass2 = pass1
    v1, m1, v2, m2, dtype = prepare(X1, X2, (pass1, pass2), layer)
    symmetric = v2 is None
    n1 = len(v1)
    n2 = n1 if symmetric else len(v2)
    workers = joblib.effective_n_jobs(n_jobs)
    # from n2 alone, so that a prediction's tiles do not depend on its batch (n1)
    here = resolve_device(device)  # the device kind decides the tile; workers get the name
    side = resolve_batch_size(batch_size, n2, v1.shape[1], dtype,
                              here if here is not None else jax.devices()[0], workers,
                              side_entries(layer, *v1.shape[1:], dtype))
    # a side above n2 (a small kernel's floor, or n2's next power of two): square
    # tiles of it, the shape every small batch shares
    shape = tile_shape(max(n2, side), side, symmetric)
    blocks = _task_blocks(n1, n2, shape, symmetric, workers,
                          task_side_limit(layer, v1.shape[1:], dtype, out is not None))
    whole = out is None and len(blocks) == 1  # one task's kernels are the result
    result = None if whole else _output(kinds, (n1, n2), dtype, out)

    cut = lambda known, rows: None if known is None else known[rows]  # noqa: E731

    def block_args(rows, cols):
        """A task's data: its rows, and its columns unless it is a diagonal block."""
        if symmetric and rows == cols:
            return v1[rows], m1[rows], None, None
        other = (v1, m1) if symmetric else (v2, m2)
        return v1[rows], m1[rows], other[0][cols], other[1][cols]

    def block_passes(rows, cols):
        return dict(pass1=cut(pass1, rows),
                    pass2=None if symmetric and rows == cols else cut(pass2, cols))

    n_tiles = len(tile_pairs(-(-n1 // shape[0]), -(-n2 // shape[1]), symmetric))
    if progress is None:
        progress = n_tiles >= PROGRESS_FROM_TILES
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_tiles if workers == 1 else len(blocks),
                   desc="kernel tiles" if workers == 1 else "kernel blocks")

    if workers == 1:  # in this process, one block in memory at a time
        tick = bar.update if bar is not None else None
        parts = ((block, kernel_block(layer, *block_args(*block), kinds, shape, device, tick,
                                      precision, **block_passes(*block)))
                 for block in blocks)
    else:
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        tasks = (joblib.delayed(kernel_block_in_worker)(
                     layer, *block_args(*block), kinds, shape, device, precision=precision,
                     **block_passes(*block))
                 for block in blocks)
        parts = _surviving(zip(blocks, parallel(tasks)))
    for (rows, cols), block in parts:
        if whole:
            result = block
        else:
            for kind in kinds:
                result[kind][rows, cols] = block[kind]
                if symmetric and rows != cols:
                    result[kind][cols, rows] = block[kind].T
        if bar is not None and workers != 1:
            bar.update(1)
    if bar is not None:
        bar.close()
    if out is not None:
        for K in result.values():
            K.flush()
    return result[kinds[0]] if isinstance(get, str) else result
