"""Fit time and peak memory of a float64 NNGP regressor as n grows (issue #15).

The workload: n random sequences of L=16 tokens with d=4 features,
``AttentionNNGPRegressor(n_blocks=1)``, float64::

    .venv/bin/python benchmarks/fit_scaling.py                 # n = 4000, 8000, 12000
    .venv/bin/python benchmarks/fit_scaling.py --eigh 4000 8000   # and the old path
    .venv/bin/python benchmarks/fit_scaling.py --quick         # n = 500, 1000 (a check)
    .venv/bin/python benchmarks/fit_scaling.py --blas-threads 1  # on a loaded machine

Each (n, path) runs in a fresh process, so that its peak resident set size
(``ru_maxrss``) is its own. The baseline is the process's RSS after imports and
a small warm-up fit (JAX and its compiled kernels); "extra" is the peak above
it, in units of ``n**2`` doubles (``8 n**2`` bytes: one train kernel).

Paths:

* ``cholesky`` (today's fit): the kernel computed as one ``n x n`` array and
  factorised in place (``scipy``'s ``potrf``), ``t=None``.
* ``eigh`` (``--eigh N ...``, the fit before issue #15, side by side): the
  same kernel, an ``astype(float64)`` copy, a second copy and
  ``numpy.linalg.eigh``, as the old ``factorize`` did.

Timings: "kernel" is the train-train kernel, "factorise" the Cholesky (or
eigendecomposition) with its checks, "fit" the whole ``fit`` (``cholesky``)
or kernel plus factorisation (``eigh``). ``--blas-threads N`` sets
``OPENBLAS_NUM_THREADS`` (and ``OMP_NUM_THREADS``) in the measured processes:
on a machine shared with other jobs, multithreaded OpenBLAS can be tens of
times slower than one thread (a 2000 x 2000 Cholesky took 7.4 s with 2
threads and 0.2 s with 1 at a load average of 16 on 2 cores).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

LENGTH, FEATURES = 16, 4


def workload(n, seed=0):
    """Random sequences with 0-25% of trailing tokens padded."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, LENGTH, FEATURES))
    for i, cut in enumerate(rng.integers(0, LENGTH // 4 + 1, size=n)):
        if cut:
            X[i, LENGTH - cut:] = np.nan
    return X, np.nanmean(X[:, :, 0], axis=1)


def rss_bytes():
    """The current resident set size of this process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def timed(function, record, key):
    """``function`` wrapped to add its wall time to ``record[key]``."""
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            record[key] = record.get(key, 0.0) + time.perf_counter() - start
    return wrapper


def one(n, path):
    """Measure one (n, path) in this process; print a JSON line."""
    import skattn._base
    from skattn import AttentionNNGPRegressor, _inference

    X, y = workload(n)
    AttentionNNGPRegressor(n_blocks=1).fit(X[:64], y[:64])  # compile, warm the runtime
    baseline = rss_bytes()
    record = {}
    reg = AttentionNNGPRegressor(n_blocks=1)
    if path == "cholesky":
        skattn._base.compute_kernels = timed(skattn._base.compute_kernels, record, "kernel")
        _inference.ExactPosterior.__init__ = timed(_inference.ExactPosterior.__init__,
                                                   record, "factorise")
        start = time.perf_counter()
        reg.fit(X, y)
        record["fit"] = time.perf_counter() - start
    else:
        start = time.perf_counter()
        K = reg.compute_kernel(X)
        record["kernel"] = time.perf_counter() - start
        start = time.perf_counter()
        A = np.array(K.astype(np.float64))  # the two copies of the old fit
        A[np.diag_indices_from(A)] += reg.alpha
        np.linalg.eigh(A)
        record["factorise"] = time.perf_counter() - start
        record["fit"] = record["kernel"] + record["factorise"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    record.update(n=n, path=path, peak_gib=peak / 2**30, baseline_gib=baseline / 2**30,
                  extra_n2=(peak - baseline) / (8 * n * n))
    print(json.dumps(record))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[4000, 8000, 12000])
    parser.add_argument("--eigh", type=int, nargs="*", default=[], metavar="N",
                        help="also run the old eigendecomposition path at these n")
    parser.add_argument("--quick", action="store_true", help="n = 500, 1000")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="OPENBLAS_NUM_THREADS of the measured processes")
    parser.add_argument("--one", nargs=2, metavar=("N", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        one(int(args.one[0]), args.one[1])
        return
    sizes = [500, 1000] if args.quick else args.n
    sizes = sorted(set(sizes) | set(args.eigh))
    env = dict(os.environ)
    if args.blas_threads:
        env.update(OPENBLAS_NUM_THREADS=str(args.blas_threads),
                   OMP_NUM_THREADS=str(args.blas_threads))
    print("| n | path | fit | kernel | factorise | peak RSS | baseline | extra / n^2 doubles |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in sizes:
        for path in ["cholesky", "eigh"] if n in args.eigh else ["cholesky"]:
            out = subprocess.run([sys.executable, __file__, "--one", str(n), path],
                                 check=True, capture_output=True, text=True, env=env).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"| {n} | {path} | {r['fit']:.1f} s | {r['kernel']:.1f} s | "
                  f"{r['factorise']:.2f} s | {r['peak_gib']:.2f} GiB | "
                  f"{r['baseline_gib']:.2f} GiB | {r['extra_n2']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
