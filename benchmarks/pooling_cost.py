"""Kernel time of long series with pooling before the attention blocks.

The train-train NNGP+NTK kernel of ``n`` ACSF1 series (1460 steps, aeon) with
``transformer(filter_size=5, pool=p, n_blocks=2, positional="sum")`` for each
pooling factor ``p``::

    .venv/bin/python benchmarks/pooling_cost.py                  # n=100, p = 16, 4, 1
    .venv/bin/python benchmarks/pooling_cost.py --pools 16 4 --n 50

A factor listed in ``--extrapolate`` (default: 1, whose kernel would take
the better part of an hour on a CPU) is timed on ``--small-n`` series and
scaled by the number of unique pairs, ``n (n + 1) / 2``; its line says so.  Each figure is the second of two calls
(the first compiles), wall and CPU seconds of this process (CPU seconds are
steadier on a shared machine).
"""

import argparse
import time

import numpy as np

from skattn.kernels import transformer


def series(n):
    from aeon.datasets import load_classification

    X, _ = load_classification("ACSF1", split="train")
    return X[:n, 0, :]


def timed(kernel, X, dtype):
    X = X.astype(dtype)
    kernel(X[:2], get=("nngp", "ntk"), progress=False)  # compiles the walk and the pairs
    wall, cpu = time.perf_counter(), time.process_time()
    kernel(X, get=("nngp", "ntk"), progress=False)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="series (default 100)")
    parser.add_argument("--pools", type=int, nargs="+", default=[16, 4, 1])
    parser.add_argument("--extrapolate", type=int, nargs="*", default=[1],
                        help="pooling factors timed on --small-n series and scaled "
                        "by the number of pairs (default: 1)")
    parser.add_argument("--small-n", type=int, default=4)
    parser.add_argument("--n-blocks", type=int, default=2)
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    args = parser.parse_args(argv)
    X = series(args.n)
    pairs = lambda n: n * (n + 1) // 2  # noqa: E731
    print(f"{args.n} ACSF1 series of {X.shape[1]} steps, n_blocks={args.n_blocks}, "
          f"{args.dtype}, train-train NNGP+NTK")
    print("| pool | tokens in the blocks | wall s | CPU s | how |")
    print("| --- | --- | --- | --- | --- |")
    for p in args.pools:
        kernel = transformer(filter_size=5, pool=p, n_blocks=args.n_blocks,
                             positional="sum", pos_decay="exp", pos_scale=4.0)
        tokens = -(-X.shape[1] // p)
        if p in args.extrapolate:
            wall, cpu = timed(kernel, X[:args.small_n], args.dtype)
            scale = pairs(args.n) / pairs(args.small_n)
            how = (f"{args.small_n} series measured ({wall:.1f} s wall), "
                   f"scaled by {scale:.0f}x the pairs")
            wall, cpu = wall * scale, cpu * scale
        else:
            wall, cpu = timed(kernel, X, args.dtype)
            how = "measured"
        print(f"| {p} | {tokens} | {wall:,.1f} | {cpu:,.1f} | {how} |", flush=True)


if __name__ == "__main__":
    main()
