"""Settings of every test session (tests/ and the doctests in skattn/).

skattn keeps JAX's compiled kernels in a user cache folder
(``skattn/kernels/_compilation_cache.py``). The tests point it at a folder of
their own session, removed when the session ends, before skattn is first
imported: they never write into the home folder (CI runs as root on a clean
clone), and the processes they start (examples, demo, workers) still share one
cache, as a user's would. Set ``SKATTN_COMPILATION_CACHE`` to choose otherwise.
"""

import os
import shutil
import tempfile

_SESSION_CACHE = None


def pytest_configure(config):
    global _SESSION_CACHE
    if "SKATTN_COMPILATION_CACHE" not in os.environ:
        _SESSION_CACHE = tempfile.mkdtemp(prefix="skattn-test-jax-cache-")
        os.environ["SKATTN_COMPILATION_CACHE"] = _SESSION_CACHE


def pytest_unconfigure(config):
    if _SESSION_CACHE is not None:
        shutil.rmtree(_SESSION_CACHE, ignore_errors=True)
