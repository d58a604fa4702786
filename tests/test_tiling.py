"""The automatic tile size: a pure function of platform, memory, tokens, sequences, dtype."""

import math

import numpy as np
import pytest

from skattn.kernels import transformer
from skattn.kernels._compute import chunk_memory, side_entries
from skattn.kernels._tiling import (MIN_TILE_TOKEN_PAIRS, auto_batch_size, memory_budget,
                                    resolve_batch_size, tile_bytes, tile_shape)

GiB = 2**30
#: bytes_limit of an H200 (141 GiB) with JAX's 75% preallocation.
H200 = int(0.75 * 141 * GiB)
LENGTHS = [2**k for k in range(0, 11)]  # 1 to 1024 tokens


def test_cpu_keeps_the_cache_sized_rule():
    # today's rule: isqrt(2**18) // L sequences a side, at most n's next power of two
    # (or the floor's)
    for length in LENGTHS + [3, 48, 100]:
        want = max(1, 512 // length)
        assert auto_batch_size(10**6, length) == want
        assert auto_batch_size(10**6, length, memory=24 * GiB) == want
    assert auto_batch_size(5, 4) == 64  # small kernels: the floor, MIN_TILE_TOKEN_PAIRS


def test_gpu_tiles_are_the_best_measured_on_an_h200():
    # H200, float32: best 256-512 sequences a side at L=32, 128 at L=128
    assert auto_batch_size(4000, 32, platform="gpu", memory=H200) in (256, 512)
    assert auto_batch_size(2000, 128, platform="gpu", memory=H200) == 128
    assert auto_batch_size(4000, 32, platform="cuda", memory=H200, itemsize=8) in (256, 512)
    assert auto_batch_size(3, 32, platform="gpu", memory=H200) == 8  # the floor, no larger


@pytest.mark.parametrize("platform, memory", [("cpu", None), ("gpu", H200), ("gpu", 2 * GiB)])
def test_small_kernels_share_one_tile_side_within_the_rule(platform, memory):
    for length in LENGTHS + [3, 48]:
        rule = auto_batch_size(10**6, length, platform=platform, memory=memory)
        few = max(1, math.isqrt(MIN_TILE_TOKEN_PAIRS) // length)
        sides = {auto_batch_size(n, length, platform=platform, memory=memory)
                 for n in range(1, few + 1)}
        assert len(sides) == 1, (length, sides)  # one program for every small size
        side = sides.pop()
        assert side <= rule  # never above the memory and cache rule
        assert side == rule or side * side * length**2 >= MIN_TILE_TOKEN_PAIRS
        assert side < 2 * max(few, 1) or side == rule  # no larger than the floor needs


@pytest.mark.parametrize("platform", ["cpu", "gpu", "tpu"])
@pytest.mark.parametrize("memory", [2 * GiB, 16 * GiB, 80 * GiB])
@pytest.mark.parametrize("itemsize", [4, 8])
@pytest.mark.parametrize("workers", [1, 4])
def test_a_tile_never_exceeds_the_memory_budget(platform, memory, itemsize, workers):
    budget = memory_budget(memory, workers)
    sides = []
    for length in LENGTHS:
        side = auto_batch_size(10**6, length, platform=platform, memory=memory,
                               itemsize=itemsize, workers=workers)
        fits = tile_bytes(side, side, length, itemsize) <= budget
        # one pair of sequences is the floor: below 4 GiB a process, 1024 tokens
        # in float64 need more than half of it
        assert fits or (side == 1 and budget < 2 * GiB), (length, side)
        sides.append(side)
    assert sides == sorted(sides, reverse=True)  # longer sequences, smaller tiles


def test_less_memory_smaller_tiles():
    sides = [auto_batch_size(10**6, 128, platform="gpu", memory=m * GiB) for m in (1, 4, 16, 64)]
    assert sides == sorted(sides) and sides[0] < sides[-1]


@pytest.mark.parametrize("n2, side, want", [
    (2000, 16, (4, 64)), (30, 16, (8, 32)), (1, 16, (16, 1)), (2000, 1, (1, 1)),
    (2000, 2, (1, 4)),
    (10**5, 512, (128, 2048)),
])
def test_cross_kernels_get_flat_tiles_of_the_same_area(n2, side, want):
    assert tile_shape(n2, side, symmetric=False) == want
    assert want[0] * want[1] <= side * side
    assert tile_shape(n2, side, symmetric=True) == (side, side)


class _Device:
    platform = "cpu"

    def memory_stats(self):
        return None


def test_batch_size_is_checked():
    assert resolve_batch_size(7, 100, 32, np.float32, _Device()) == 7
    assert resolve_batch_size("auto", 10**6, 32, np.float32, _Device()) == 16
    for bad in [0, -1, 2.5, True, "big"]:
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            resolve_batch_size(bad, 100, 32, np.float32, _Device())


def test_a_batch_size_above_the_kernel_is_cut_to_what_it_uses():
    """A caller's ``batch_size`` larger than the kernel computes no padding
    tiles: at most n's next power of two, or the small kernels' floor."""
    assert resolve_batch_size(512, 50, 32, np.float32, _Device()) == 64
    assert resolve_batch_size(512, 3, 32, np.float32, _Device()) == 8  # the floor
    assert resolve_batch_size(512, 3, 32, np.float32, _Device()) \
        == resolve_batch_size("auto", 3, 32, np.float32, _Device())
    assert resolve_batch_size(64, 10**6, 32, np.float32, _Device()) == 64  # above auto: kept


def test_the_own_pass_walks_tiles_of_the_engines_batch_size(monkeypatch):
    """The per-sequence pass takes the engine's ``batch_size`` as the pairs do
    (it used the automatic rule whatever the caller asked), and its result
    does not depend on it."""
    from skattn.kernels import _compute
    from skattn.kernels._engine import Engine

    sides, walk = [], _compute.walk_tiles

    def spy(layer, values, mask, side, *args, **kwargs):
        sides.append(side)
        return walk(layer, values, mask, side, *args, **kwargs)

    monkeypatch.setattr(_compute, "walk_tiles", spy)
    X = np.random.default_rng(0).normal(size=(9, 4, 3))
    layer = transformer(n_blocks=1)
    small = Engine(batch_size=2).own_pass(layer, X)
    auto = Engine().own_pass(layer, X)
    assert sides == [2, resolve_batch_size("auto", 9, 4, X.dtype, _Device())]
    for kind in small.diagonal:
        np.testing.assert_allclose(small.diagonal[kind], auto.diagonal[kind], rtol=1e-12)


@pytest.mark.parametrize("layer", [
    transformer(n_blocks=2, positional="sum"),
    transformer(n_blocks=4, layer_norm="pre", attention="relu"),
], ids=["benchmark", "deep-pre-ln"])
def test_the_estimate_bounds_what_xla_assigns_to_a_tile(layer):
    # compiled, not run: XLA's buffer assignment for the tile the rule picks on
    # a 2 GiB GPU, up to 1024 tokens
    for length in [32, 1024]:
        entries = side_entries(layer, length, 16, np.float32)
        side = auto_batch_size(10**6, length, platform="gpu", memory=2 * GiB,
                               side_entries=entries)
        assigned = chunk_memory(layer, ("nngp", "ntk"), (side, side), length, 16, np.float32)
        assert assigned <= tile_bytes(side, side, length, 4, entries), (length, side)
        assert assigned <= memory_budget(2 * GiB)


def test_sides_are_traced_once_per_structure():
    # an optimizer's or a grid's new float values must not trace the network again
    from skattn.kernels._compute import _side_entries

    _side_entries.cache_clear()
    first = side_entries(transformer(n_blocks=1, qk_std=1.0), 7, 3, np.float64)
    misses = _side_entries.cache_info().misses
    again = side_entries(transformer(n_blocks=1, qk_std=2.5, w_std=0.3), 7, 3, np.float64)
    assert again == first
    assert _side_entries.cache_info().misses == misses
    side_entries(transformer(n_blocks=2), 7, 3, np.float64)  # a new structure is traced
    assert _side_entries.cache_info().misses == misses + 1


def test_the_reverse_pass_has_a_quarter_of_the_token_pairs():
    for length in LENGTHS:
        forward = auto_batch_size(10**6, length)
        reverse = auto_batch_size(10**6, length, reverse=True)
        assert reverse == max(1, 256 // length)
        assert reverse <= forward
    # on an accelerator its tile is capped by four times the forward's memory
    forward = auto_batch_size(10**6, 128, platform="gpu", memory=2 * GiB)
    reverse = auto_batch_size(10**6, 128, platform="gpu", memory=2 * GiB, reverse=True)
    assert 4 * tile_bytes(reverse, reverse, 128, 4) <= memory_budget(2 * GiB)
    assert reverse < forward
