"""Settings of every test session (tests/ and the doctests in skattn/).

The compilation cache.  skattn keeps JAX's compiled kernels in a user cache
folder (``skattn/kernels/_compilation_cache.py``). The tests point it at a
folder of their own session, removed when the session ends, before skattn is
first imported: they never write into the home folder (CI runs as root on a
clean clone), and the processes they start (examples, demo, workers) still
share one cache, as a user's would. Set ``SKATTN_COMPILATION_CACHE`` to choose
otherwise.

The compiler's options.  The suite compiles about 850 XLA programs, most of
them run once on a few tiny sequences, so on the CPU two thirds of its time
was XLA compiling (606 s of 924 s summed over the tests).  The tests'
processes therefore compile without LLVM's optimisation passes and with XLA's
older CPU fusion emitter (:data:`TEST_XLA_FLAGS`): compilation takes a third of
the time, execution two to five times as long, and results differ in the last
bits only (the neural-tangents fixtures agree to 7.6e-16 instead of 6.1e-16).
The suite went from 505 s to 284 s on 2 cores.  (Not a default for users: their
first fit gained 0.5 s in benchmarks/first_contact.py, and a kernel of 300
sequences ran 5 times slower.)  What users run is still checked at
XLA's defaults: the demo's test and one neural-tangents test start their
interpreters with the user's own ``XLA_FLAGS`` (``synthetic.user_environ``).
``SKATTN_TEST_XLA_DEFAULTS=1`` keeps XLA's defaults for the whole session, and
they are kept where JAX's default backend is a GPU or TPU, since the GPU checks
(benchmarks/gpu_checks.sh) are about what users run there.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import warnings

#: Cheap compilation for the tests' CPU programs (see the module docstring).
TEST_XLA_FLAGS = ("--xla_backend_optimization_level=0", "--xla_cpu_use_fusion_emitters=false")
#: Holds the ``XLA_FLAGS`` the session started with; set once the options are
#: chosen, so that xdist workers and nested test sessions keep the choice
#: (tests/synthetic.py's ``user_environ`` reads it).
USER_XLA_FLAGS = "SKATTN_USER_XLA_FLAGS"

_SESSION_CACHE = None


def _choose_compiler_options():
    if USER_XLA_FLAGS in os.environ:  # chosen by the process that started this one
        return
    user = os.environ.get("XLA_FLAGS", "")
    os.environ[USER_XLA_FLAGS] = user
    if os.environ.get("SKATTN_TEST_XLA_DEFAULTS"):
        return
    flags = " ".join([user, *TEST_XLA_FLAGS]).strip()
    # an XLA that no longer knows an option aborts the process: try them first,
    # and learn the backend the tests will run on
    probe = subprocess.run([sys.executable, "-c", "import jax; print(jax.default_backend())"],
                           env=dict(os.environ, XLA_FLAGS=flags), capture_output=True, text=True)
    if probe.returncode != 0:
        warnings.warn(f"XLA refused the tests' compiler options {TEST_XLA_FLAGS}; the "
                      f"suite runs at XLA's defaults (slower): {probe.stderr[-300:]!r}")
    elif probe.stdout.strip() == "cpu":
        os.environ["XLA_FLAGS"] = flags


def pytest_configure(config):
    global _SESSION_CACHE
    if "SKATTN_COMPILATION_CACHE" not in os.environ:
        _SESSION_CACHE = tempfile.mkdtemp(prefix="skattn-test-jax-cache-")
        os.environ["SKATTN_COMPILATION_CACHE"] = _SESSION_CACHE
    _choose_compiler_options()


def pytest_unconfigure(config):
    if _SESSION_CACHE is not None:
        shutil.rmtree(_SESSION_CACHE, ignore_errors=True)
