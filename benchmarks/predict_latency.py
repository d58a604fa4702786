"""Latency of ``predict`` after ``fit``: the README's table (issue #14, item 4).

An ``AttentionNNGPRegressor(n_blocks=2, positional="sum", val_pos_emb=False,
dtype="float32")`` is fitted on ``--n-train`` random sequences of ``--length``
tokens of ``--features`` features; then each call below runs once to compile and
``--repeats`` more times, and the best wall time is printed as a Markdown row:

* ``predict`` on 1 new sequence,
* ``predict(return_std=True)`` on 1 (the new sequence's own kernel too),
* ``predict`` on 100.

It uses only the public API, so the same script times any version of skattn
(put that version first on ``PYTHONPATH``); compare versions side by side in one
session (ABAB), since the machine is shared::

    .venv/bin/python benchmarks/predict_latency.py
    .venv/bin/python benchmarks/predict_latency.py --n-train 500 --repeats 1  # quicker
"""

import argparse
import time

import numpy as np

from skattn import AttentionNNGPRegressor


def best_time(call, repeats):
    """Best wall time of ``repeats`` calls of ``call`` after a first (compiling) one."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--label", default="this version", help="first column of the row")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n_train + 100, args.length, args.features)).astype(np.float32)
    y = X[:, :, 0].mean(axis=1) + 0.1 * rng.normal(size=len(X))
    # val_pos_emb pinned: its default changed (False until #10), and it changes the cost
    model = AttentionNNGPRegressor(n_blocks=2, positional="sum", val_pos_emb=False,
                                   dtype="float32")
    start = time.perf_counter()
    model.fit(X[:args.n_train], y[:args.n_train])
    fit = time.perf_counter() - start
    new = X[args.n_train:]
    one = best_time(lambda: model.predict(new[:1]), args.repeats)
    one_std = best_time(lambda: model.predict(new[:1], return_std=True), args.repeats)
    hundred = best_time(lambda: model.predict(new), args.repeats)
    print("| version | fit | predict, 1 | predict(return_std=True), 1 | predict, 100 |")
    print("| --- | --- | --- | --- | --- |")
    print(f"| {args.label} | {fit:.1f} s | {one:.3f} s | {one_std:.3f} s | {hundred:.2f} s |",
          flush=True)


if __name__ == "__main__":
    main()
