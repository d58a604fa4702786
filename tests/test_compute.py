"""Tiled evaluation: every way of cutting the work gives the same kernels."""

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from synthetic import padded_sequences
from skattn.kernels import transformer
from skattn.kernels._compute import tile_pairs
from skattn.kernels._tiling import auto_batch_size
from skattn.kernels._trig import reference_error

KERNEL = transformer(n_blocks=1, positional="sum", pos_decay="exp")
#: Tile shapes, chunk sizes and device counts change XLA's operation order.
#: Where a token is compared with itself the arc-cosine kernel turns a rounding
#: difference e into sqrt(e): sqrt(float64 eps) is 1.5e-8.  A misplaced or
#: wrongly mirrored tile is off by O(1).
ROUNDING = 2e-8


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    return padded_sequences(rng, 11, 5, 3), padded_sequences(rng, 7, 4, 3)


@pytest.fixture(scope="module")
def whole(data):
    X, Y = data
    return KERNEL(X, get=("nngp", "ntk"), batch_size=16), KERNEL(X, Y, get=("nngp", "ntk"),
                                                                   batch_size=16)


@pytest.mark.parametrize("batch_size", [1, 3, 4, "auto"])
def test_tiled_equals_whole(data, whole, batch_size):
    X, Y = data
    square, cross = whole
    got_square = KERNEL(X, get=("nngp", "ntk"), batch_size=batch_size)
    got_cross = KERNEL(X, Y, get=("nngp", "ntk"), batch_size=batch_size)
    for kind in ("nngp", "ntk"):
        np.testing.assert_allclose(got_square[kind], square[kind], rtol=ROUNDING)
        np.testing.assert_allclose(got_cross[kind], cross[kind], rtol=ROUNDING)


def test_mirrored_train_kernel_equals_the_cross_kernel(data):
    X, _ = data
    # square tiles against flat ones: the same pairs, in another operation order
    np.testing.assert_allclose(KERNEL(X, batch_size=2), KERNEL(X, X, batch_size=2),
                               rtol=ROUNDING)


def test_symmetric_mode_computes_each_unordered_tile_pair_once():
    assert tile_pairs(3, 3, symmetric=True) == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    assert len(tile_pairs(3, 2, symmetric=False)) == 6


def test_auto_batch_size_bounds_the_tile():
    assert auto_batch_size(10_000, 32) == 16
    assert auto_batch_size(10_000, 64) == 8
    assert auto_batch_size(5, 4) == 64  # the floor of small kernels (MIN_TILE_TOKEN_PAIRS)
    assert auto_batch_size(5, 32) == 8  # no larger than the floor needs
    assert auto_batch_size(10_000, 4096) == 1


def test_precision_is_checked(data):
    with pytest.raises(ValueError, match="precision must be one of 'highest'"):
        KERNEL(data[0], precision="fast")
    with pytest.raises(ValueError, match="precision must be one of"):
        KERNEL.diag(data[0], precision="tf32")


def test_pinned_device(data, whole):
    X, _ = data
    got = KERNEL(X, get="ntk", device=jax.devices()[0])
    np.testing.assert_allclose(got, whole[0]["ntk"], rtol=ROUNDING)


def test_progress_bar_is_shown_only_when_asked(data, capsys):
    X, _ = data
    KERNEL(X, batch_size=2)
    assert "kernel" not in capsys.readouterr().err
    KERNEL(X, batch_size=2, progress=True)
    assert "kernel" in capsys.readouterr().err


def test_two_devices_give_the_same_kernels(data, whole, tmp_path):
    X, _ = data
    np.save(tmp_path / "x.npy", X)
    script = textwrap.dedent(f"""
        import jax, numpy as np
        from skattn.kernels import transformer
        assert jax.device_count() == 2, jax.devices()
        k = transformer(n_blocks=1, positional="sum", pos_decay="exp")
        X = np.load({str(tmp_path / "x.npy")!r})
        np.save({str(tmp_path / "k.npy")!r}, k(X, get="ntk", batch_size=2))
    """)
    flags = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
    env = dict(os.environ, XLA_FLAGS=flags.strip(), JAX_PLATFORMS="cpu")
    subprocess.run([sys.executable, "-c", script], check=True, env=env)
    np.testing.assert_allclose(np.load(tmp_path / "k.npy"), whole[0]["ntk"], rtol=ROUNDING)


# float32: 2 ulps of pi/2 (an H200's sqrt and FMAs gave 2.2e-7, the CPU's less)
@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-15), (np.float32, 2.4e-7)])
def test_vectorised_arcsine_is_accurate(dtype, tolerance):
    with jax.enable_x64(dtype == np.float64):
        assert reference_error(dtype) < tolerance


def test_joblib_processes_give_the_same_kernels(data, whole):
    X, Y = data
    square = KERNEL(X, get=("nngp", "ntk"), batch_size=2, n_jobs=2)
    cross = KERNEL(X, Y, get="ntk", batch_size=2, n_jobs=2)
    for kind in ("nngp", "ntk"):
        np.testing.assert_allclose(square[kind], whole[0][kind], rtol=ROUNDING)
    np.testing.assert_allclose(cross, whole[1]["ntk"], rtol=ROUNDING)


def test_kernel_written_into_memory_maps(data, whole, tmp_path):
    X, _ = data
    paths = {"nngp": tmp_path / "nngp.npy", "ntk": tmp_path / "ntk.npy"}
    got = KERNEL(X, get=("nngp", "ntk"), batch_size=2, out=paths)
    assert isinstance(got["ntk"], np.memmap)
    for kind, path in paths.items():
        np.testing.assert_allclose(np.load(path), whole[0][kind], rtol=ROUNDING)


def test_memory_map_needs_one_path_per_kernel(data, tmp_path):
    with pytest.raises(ValueError, match="out must name one file per kernel"):
        KERNEL(data[0], get=("nngp", "ntk"), out=tmp_path / "k.npy")


def test_memory_map_is_filled_block_by_block(data, whole, tmp_path, monkeypatch):
    from skattn.kernels import _compute

    monkeypatch.setattr(_compute, "OUT_BLOCK_SEQUENCES", 4)  # 11 sequences: 3 x 3 blocks
    seen = []
    block = _compute.kernel_block
    monkeypatch.setattr(_compute, "kernel_block",
                        lambda *args, **kw: seen.append(len(args[1])) or block(*args, **kw))
    X, _ = data
    got = KERNEL(X, get="ntk", batch_size=2, out=tmp_path / "ntk.npy")
    assert len(seen) == 6 and max(seen) == 4  # the upper triangle of blocks, mirrored
    np.testing.assert_allclose(np.load(tmp_path / "ntk.npy"), whole[0]["ntk"], rtol=ROUNDING)
    assert isinstance(got, np.memmap)
