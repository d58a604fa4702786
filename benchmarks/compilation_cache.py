"""What JAX's persistent compilation cache saves a fresh process (issue #10).

Each measurement runs in a new Python process, as a user's script or a
``GridSearchCV`` worker would start, with skattn's compilation cache (see
``skattn/kernels/_compilation_cache.py``) in one of three states:

* ``off``: ``SKATTN_COMPILATION_CACHE=off``, every process compiles;
* ``cold``: an empty cache folder, which the run fills;
* ``warm``: the folder the cold run filled, as on a second run.

Two workloads: the first fit of an ``AttentionNTKClassifier`` (``n_blocks=2,
positional="sum", val_pos_emb=True``) on 300 digits read as 8 rows of 8 pixels,
and a ``GridSearchCV`` over the float hyperparameter ``qk_std`` (3 values, 3 folds)
on the same data with ``n_jobs=1`` and ``n_jobs=2``. Each cell gives the
wall-clock seconds of ``fit`` (JAX's start-up excluded, worker start-up included)
and, in brackets, the CPU seconds of the whole process and the workers it waited
for: on a machine shared with other work the CPU seconds are the steadier figure::

    .venv/bin/python benchmarks/compilation_cache.py
    .venv/bin/python benchmarks/compilation_cache.py --n-train 200 --qk-std 0.5 1 2
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(args):
    """One measurement, in this (fresh) process; prints a JSON line."""
    from joblib.externals.loky import get_reusable_executor
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    from skattn import AttentionNTKClassifier
    from skattn.kernels._compilation_cache import use_compilation_cache

    X, y = load_digits(return_X_y=True)
    X, y = X[:args.n_train].reshape(-1, 8, 8) / 16, y[:args.n_train]
    model = AttentionNTKClassifier(n_blocks=2, positional="sum", val_pos_emb=True)
    if args.child == "grid":
        model = GridSearchCV(model, {"qk_std": args.qk_std}, cv=3, n_jobs=args.n_jobs)
    fit_start = time.perf_counter()
    model.fit(X, y)
    end = time.perf_counter()
    get_reusable_executor().shutdown(wait=True)  # the workers' CPU time counts once joined
    print(json.dumps(dict(fit=end - fit_start, cache=str(use_compilation_cache()))))


def measure(args, workload, n_jobs, cache):
    """Run one child process with the cache set to ``cache`` (a folder or "off")."""
    env = {**os.environ, "SKATTN_COMPILATION_CACHE": str(cache)}
    command = [sys.executable, __file__, "--child", workload, "--n-jobs", str(n_jobs),
               "--n-train", str(args.n_train), "--qk-std", *map(str, args.qk_std)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"{' '.join(command[1:])} failed:\n{run.stderr[-3000:]}")
    out = run.stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.strip().splitlines()[-1])
    result["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-train", type=int, default=300)
    parser.add_argument("--qk-std", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--cases", nargs="+", default=["fit", "grid1", "grid2"],
                        choices=["fit", "grid1", "grid2"], help="which workloads to run")
    parser.add_argument("--child", choices=["fit", "grid"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    cases = {"fit": ("first fit", "fit", 1), "grid1": ("GridSearchCV, n_jobs=1", "grid", 1),
             "grid2": ("GridSearchCV, n_jobs=2", "grid", 2)}
    cases = [cases[name] for name in args.cases]
    print(f"| workload | cache off | cold cache | warm cache |\n| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for label, workload, n_jobs in cases:
            folder = Path(tmp) / f"{workload}-{n_jobs}"
            times = [measure(args, workload, n_jobs, cache)
                     for cache in ["off", folder, folder]]
            cells = [f"{t['fit']:.1f} s ({t['cpu']:.0f} s CPU)" for t in times]
            print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    print("wall-clock seconds of fit (CPU seconds of the process and its workers)")


if __name__ == "__main__":
    main()
