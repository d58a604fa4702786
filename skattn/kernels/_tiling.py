"""How large a tile of sequence pairs is: the automatic ``batch_size`` rule.

A tile is ``side1 x side2`` sequences; the whole network runs on one tile at
a time, so its token-level kernels, ``side1 * side2 * L**2`` entries each, set
the memory the computation needs, whatever the number of sequences.  The rule
is a pure function of the platform, the device's memory, the token count
``L``, the number of sequences and the dtype, so that it can be tested on any
machine.

* CPU: ``TILE_TOKEN_PAIRS["cpu"] = 2**18`` token pairs keep a tile's kernels
  (~1 MiB each in float32) in the processor's cache.
* GPU and TPU: ``2**28`` token pairs, 16,384 tokens a side.  On an H200 (issue
  #14, ``benchmarks/kernel_throughput.py``, float32) the best tiles were 256 to
  512 sequences a side at L=32 (0.755 s for n=4000, against 12.7 s with the CPU
  rule) and 128 at L=128; that is 8,192 to 16,384 tokens a side.  The side is
  halved until :func:`tile_bytes` fits the memory budget.

A kernel of few sequences gets a tile no larger than it needs (the next power
of two of ``n``), but no smaller than ``MIN_TILE_TOKEN_PAIRS`` token pairs: each
tile side compiles its own programs (0.4 to 0.8 s each on a 2-core CPU), while
a tile that small costs about as little as one of 2**8 token pairs, so every
small batch (a scikit-learn check's 5 to 30 sequences of 8 tokens, a
prediction on a few) shares one program per structure, token count, width and
dtype.
"""

import math
import os

import numpy as np

#: Token pairs a tile aims at, per platform (see the module docstring).
TILE_TOKEN_PAIRS = {"cpu": 2**18, "accelerator": 2**28}
#: Token pairs below which a tile is not made smaller for fewer sequences.  On
#: the 2-core CPU one tile of the estimators' default network (float64) took
#: 4-6 ms from 2**8 to 2**16 token pairs (L=2 to 32), 11-14 ms at 2**18.
MIN_TILE_TOKEN_PAIRS = 2**16
#: Token-level arrays alive at once per tile, per token pair.  XLA's memory
#: analysis of the compiled tile gives 9 to 10 for ``transformer(n_blocks=2)``
#: at L=32 to 1024 (tests/test_tiling.py checks the estimate against it).
LIVE_KERNELS = 16
#: Copies of a sequence's sides (attention matrices, token variances) alive
#: per sequence of a tile: its chunk carries 8 tiles' worth, doubled.
LIVE_SIDES = 16
#: How much flatter than square the tiles of a cross kernel are.  On the
#: 2-core CPU, tiles of 4 x 64 sequences (L=32) computed a 256 x 512 kernel
#: 1.2x faster than 16 x 16 ones, 1 x 256 ones 2x slower.
FLAT = 4
#: Share of a device's memory the tiles of one process may use.
MEMORY_FRACTION = 0.5
#: How many times fewer token pairs a tile of the reverse pass (the kernel's
#: vector-Jacobian product) has.  It keeps the forward's intermediates for the
#: backward: XLA's memory analysis of ``transformer(n_blocks=2)`` at L=32 gives
#: about 40 token-level arrays per tile, against 7 forward.  With a quarter of
#: the pairs (half the side: 8 sequences at L=32 on a CPU) the reverse pass ran
#: 1.2x to 1.3x faster on the 2-core CPU than on the forward's tiles.
REVERSE_SHARE = 4


def power_of_two_at_least(n):
    return 1 << max(0, math.ceil(math.log2(n)))


def tile_bytes(side1, side2, length, itemsize, side_entries=None):
    """Estimated memory of one tile of ``side1 x side2`` sequences of ``length`` tokens.

    ``side_entries`` is the size of one sequence's sides (None: two attention
    layers' ``L x L`` matrices).
    """
    side_entries = 2 * length**2 if side_entries is None else side_entries
    pairs = side1 * side2 * length**2
    return itemsize * (LIVE_KERNELS * pairs + LIVE_SIDES * (side1 + side2) * side_entries)


def memory_budget(memory, workers=1):
    """Bytes the tiles of one of ``workers`` processes may use, of ``memory``; None: no cap."""
    if memory is None:
        return None
    return int(MEMORY_FRACTION * memory / max(1, workers))


def auto_batch_size(n, length, *, platform="cpu", memory=None, itemsize=4, workers=1,
                    side_entries=None, reverse=False):
    """Sequences a side of a square tile for ``n`` sequences of ``length`` tokens.

    Parameters
    ----------
    n : int
        Sequences on the larger side of the kernel; the tile has at most the
        next power of two of ``n`` a side, or of the sequences that make
        ``MIN_TILE_TOKEN_PAIRS`` token pairs if that is more (one tile side for
        all small kernels).
    length : int
        Tokens per sequence (padding included).
    platform : str, default="cpu"
        ``jax.Device.platform``: "cpu" keeps a tile near ``2**18`` token pairs,
        anything else ("gpu", "cuda", "rocm", "tpu") aims at ``2**28``.
    memory : int or None, default=None
        Bytes of memory of the device (None: not known, no cap).
    itemsize : int, default=4
        Bytes per kernel entry (4 for float32, 8 for float64).
    workers : int, default=1
        Processes sharing the device; each gets its share of the budget.
    side_entries : int or None, default=None
        Entries of one sequence's sides (see :func:`tile_bytes`).
    reverse : bool, default=False
        A tile of the reverse pass: ``REVERSE_SHARE`` times fewer token pairs,
        and as many times the memory per pair.

    Returns
    -------
    int
        A power of two (or the rule's side), at least 1.

    Examples
    --------
    >>> auto_batch_size(10_000, 32), auto_batch_size(10_000, 32, platform="gpu")
    (16, 512)
    >>> auto_batch_size(5, 8), auto_batch_size(20, 8)  # one tile for small kernels
    (32, 32)
    >>> auto_batch_size(10_000, 32, reverse=True)  # the kernel's gradient
    8
    >>> auto_batch_size(10_000, 128, platform="gpu", memory=80 * 2**30)
    128
    """
    key = "cpu" if platform == "cpu" else "accelerator"
    share = REVERSE_SHARE if reverse else 1
    side = max(1, math.isqrt(TILE_TOKEN_PAIRS[key] // share) // length)
    if key == "accelerator":
        side = 1 << (side.bit_length() - 1)  # a power of two
    budget = memory_budget(memory, workers)
    while budget is not None and side > 1 \
            and share * tile_bytes(side, side, length, itemsize, side_entries) > budget:
        side //= 2
    return min(side, useful_side(n, length))


def useful_side(n, length):
    """The largest tile side a kernel of ``n`` sequences of ``length`` tokens
    uses: the next power of two of ``n``, or of the sequences a side of the
    ``MIN_TILE_TOKEN_PAIRS`` tile if that is more (one tile side for all small
    kernels).  A larger side would only compute padding."""
    few = math.isqrt(MIN_TILE_TOKEN_PAIRS) // length  # sequences a side of the smallest tile
    return power_of_two_at_least(max(n, few))


def tile_shape(n2, side, symmetric):
    """Sequences a side of the tiles of an ``n1 x n2`` kernel: ``(side1, side2)``.

    A train-train kernel (``symmetric``) has square tiles so that each
    unordered pair of tiles is computed once.  A cross kernel (new sequences
    against the training set) has flat ones of the same area, ``FLAT`` times
    fewer rows, so that a prediction on one sequence pads it to ``side / FLAT``
    rows, not ``side``.  The shape does not depend on ``n1``: XLA's rounding
    depends on it, and a prediction must not change with the batch it is in.
    """
    if symmetric:
        return side, side
    side1 = max(1, side // FLAT)
    side2 = min(side * side // side1, power_of_two_at_least(n2))
    return min(side, side * side // side2), side2


def device_memory(device):
    """Bytes of memory of a JAX device: its allocator's limit, or the host's RAM on a CPU."""
    stats = None
    try:
        stats = device.memory_stats()
    except Exception:  # some backends do not implement it
        stats = None
    if stats and stats.get("bytes_limit"):
        return int(stats["bytes_limit"])
    if device.platform == "cpu":
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return None


def resolve_batch_size(batch_size, n, length, dtype, device, workers=1, side_entries=None,
                       reverse=False):
    """``batch_size`` as an int: the automatic rule for ``device``, or the
    caller's value, at most :func:`useful_side` (``batch_size=512`` computes a
    kernel of 50 sequences in tiles of 64, not 512, and shares their program).

    With several workers on an accelerator, the caller's JAX has usually taken
    its preallocated 75% of the device (``bytes_limit``), so the workers share
    the rest: a third of that limit.
    """
    if batch_size == "auto":
        memory = device_memory(device)
        if memory is not None and workers > 1 and device.platform != "cpu":
            memory //= 3
        return auto_batch_size(n, length, platform=device.platform, memory=memory,
                               itemsize=np.dtype(dtype).itemsize, workers=workers,
                               side_entries=side_entries, reverse=reverse)
    if isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool) \
            and batch_size > 0:
        return min(int(batch_size), useful_side(n, length))
    raise ValueError(f"batch_size must be a positive integer or 'auto'; got {batch_size!r}.")
