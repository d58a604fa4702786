"""JAX's persistent compilation cache: where it goes, how to turn it off, that it is used."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skattn.kernels._compilation_cache import (ENV, JAX_MIN_COMPILE_ENV,
                                               JAX_MIN_COMPILE_SECONDS,
                                               MIN_COMPILE_SECONDS, cache_folder)

#: A fresh process: import skattn, print where JAX caches, fit a small model.
CHILD = """
import jax, numpy as np
from skattn import AttentionNNGPRegressor
print("cache dir:", jax.config.jax_compilation_cache_dir)
X = np.random.default_rng(0).normal(size=(6, 3, 2))
AttentionNNGPRegressor(n_blocks=1).fit(X, X[:, 0, 0])
"""


def run_child(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items()
               if k not in (ENV, "JAX_COMPILATION_CACHE_DIR", "XDG_CACHE_HOME")}
    # every compilation is written, however fast; HOME is a folder of the test
    environ.update(HOME=str(tmp_path / "home"), JAX_LOG_COMPILES="1",
                   JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0", **env)
    result = subprocess.run([sys.executable, "-c", CHILD], env=environ,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_the_folder_follows_the_environment(tmp_path):
    home = Path.home()
    assert cache_folder({}) == home / ".cache" / "skattn" / "jax"
    assert cache_folder({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/skattn/jax")
    assert cache_folder({"XDG_CACHE_HOME": "relative"}) == home / ".cache" / "skattn" / "jax"
    assert cache_folder({ENV: str(tmp_path), "XDG_CACHE_HOME": "/xdg"}) == tmp_path
    for off in ["0", "off", "OFF", "false", "no", ""]:
        assert cache_folder({ENV: off}) is None


def test_a_fresh_process_reuses_the_compilations_of_an_earlier_one(tmp_path):
    xdg = tmp_path / "xdg"
    first = run_child(tmp_path, XDG_CACHE_HOME=str(xdg))
    folder = xdg / "skattn" / "jax"
    assert f"cache dir: {folder}" in first.stdout
    assert any(folder.iterdir())
    assert "Persistent compilation cache hit" not in first.stderr
    second = run_child(tmp_path, XDG_CACHE_HOME=str(xdg))
    assert "Persistent compilation cache hit" in second.stderr
    assert not (tmp_path / "home" / ".cache" / "skattn").exists()


@pytest.mark.parametrize("setting", ["off", "jax"])
def test_off_or_a_cache_of_the_users_own(tmp_path, setting):
    own = tmp_path / "own"
    env = {ENV: "off"} if setting == "off" else {"JAX_COMPILATION_CACHE_DIR": str(own)}
    result = run_child(tmp_path, **env)
    assert f"cache dir: {None if setting == 'off' else own}" in result.stdout
    # (on a GPU machine CUDA keeps caches of its own under HOME)
    assert not (tmp_path / "home" / ".cache" / "skattn").exists()
    assert (setting == "jax") == own.exists()


def test_small_kernels_are_kept_unless_the_user_chose_a_threshold(tmp_path):
    """Where skattn sets the folder, programs of half a second are kept (JAX's
    default is 1 s); a threshold the user set, or a cache of the user's own,
    is left alone."""
    def threshold(**env):
        environ = {k: v for k, v in os.environ.items()
                   if k not in (ENV, "JAX_COMPILATION_CACHE_DIR", JAX_MIN_COMPILE_ENV)}
        environ.update(HOME=str(tmp_path / "home"), **env)
        code = "import skattn, jax; print(jax.config.jax_persistent_cache_min_compile_time_secs)"
        result = subprocess.run([sys.executable, "-c", code], env=environ,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return float(result.stdout.split()[-1])

    assert threshold(**{ENV: str(tmp_path / "cache")}) == MIN_COMPILE_SECONDS
    assert threshold(**{ENV: str(tmp_path / "cache"), JAX_MIN_COMPILE_ENV: "2"}) == 2.0
    assert threshold(JAX_COMPILATION_CACHE_DIR=str(tmp_path / "own")) == JAX_MIN_COMPILE_SECONDS
