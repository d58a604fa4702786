"""Compilations and wall time of what a user (and scikit-learn's checks) meets first.

Each estimator at its defaults runs in a fresh Python process, with skattn's
persistent compilation cache off (``SKATTN_COMPILATION_CACHE=off``), so that
every program it needs is compiled in front of the user:

* ``first``: ``fit`` on 30 sequences of 8 tokens of 3 features, then ``predict``
  on 5 of them, ``predict_proba`` (classifiers) or ``predict(return_std=True)``
  (regressors) on 5, and ``score`` on the 30;
* ``sizes``: the same four calls at ``n`` = 5, 10, 20, 30 and 50 sequences in a
  row (train and test), as scikit-learn's estimator checks do (``--sizes`` to
  change them), in another fresh process.

For each: the programs XLA compiled (``jax.monitoring``'s backend-compile
events), the seconds they took, and the wall-clock seconds of the calls::

    .venv/bin/python benchmarks/first_contact.py

On the 2-core CPU (loaded by other jobs, so the seconds are rough; the counts
are exact), programs compiled, first contact / the five sizes: before the
tile floor and scipy's ndtr, 3/8 (NNGP regressor), 4/12 (NTK regressor),
26/67 (NNGP classifier), 27/71 (NTK classifier); after, 2/4 for each (a walk
and a pair program, at 32 sequences a side for n <= 32 and 64 for n = 50).
Wall seconds of the sizes fell from 14-46 to 6-13.
"""

import argparse
import json
import os
import subprocess
import sys
import time

ESTIMATORS = ("AttentionNNGPRegressor", "AttentionNTKRegressor", "AttentionNNGPClassifier",
              "AttentionNTKClassifier")
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


def child(name, mode, sizes):
    """Measure one estimator's ``mode`` in this (fresh) process; print a JSON line."""
    import jax
    import numpy as np

    import skattn

    compiled = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, seconds, **kw: compiled.append(seconds) if event == COMPILE_EVENT else None)
    est = getattr(skattn, name)()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(max(sizes + [30]), 8, 3))
    y = np.arange(len(X)) % 2  # both classes in every prefix

    def contact(n, test):
        est.fit(X[:n], y[:n])
        est.predict(X[:test])
        if hasattr(est, "predict_proba"):
            est.predict_proba(X[:test])
        else:
            est.predict(X[:test], return_std=True)
        est.score(X[:n], y[:n])

    calls = [(30, 5)] if mode == "first" else [(n, n) for n in sizes]
    start = time.perf_counter()
    for n, test in calls:
        contact(n, test)
    print(json.dumps(dict(programs=len(compiled), compile_s=round(sum(compiled), 2),
                          wall_s=round(time.perf_counter() - start, 2))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 30, 50])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)  # estimator, mode
    args = parser.parse_args()
    if args.child:
        return child(*args.child, args.sizes)
    env = dict(os.environ, SKATTN_COMPILATION_CACHE="off")
    print(f"{'estimator':<26}{'first: programs, compile s, wall s':>36}"
          f"{'sizes ' + ','.join(map(str, args.sizes)) + ': same':>36}")
    for name in ESTIMATORS:
        cells = []
        for mode in ("first", "sizes"):
            out = subprocess.run([sys.executable, __file__, "--child", name, mode, "--sizes",
                                  *map(str, args.sizes)], env=env, check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            cells.append(f"{r['programs']:>8}{r['compile_s']:>12.2f}{r['wall_s']:>12.2f}")
        print(f"{name:<26}{cells[0]:>36}{cells[1]:>36}")


if __name__ == "__main__":
    main()
