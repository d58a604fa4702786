"""Token sums as a reduction or as products: the train-train kernel, side by side.

``KernelState.token_sum`` (the global pooling's sum over both token axes) runs
as two batched products with vectors of ones on the CPU and as a plain
reduction elsewhere (see its docstring).  This script times the train-train
NNGP+NTK of ``benchmarks/kernel_throughput.py``'s workload with each form
forced, on whatever device JAX has, alternating the two ``--rounds`` times in
one process (the program is compiled anew at each switch; the figure is the
best of ``--repeats`` warm calls), and prints a Markdown table::

    .venv/bin/python benchmarks/token_sums.py
    .venv/bin/python benchmarks/token_sums.py --n 4000 --rounds 2   # a GPU

On a device where the products win clearly, ``token_sum`` should use them there
too; where they lose, the reduction stays.  On an H200 (n=4000, L=32, float32,
one round) the reduction took 0.534 s and the products 0.525 s, the same kernels:
within noise, so the GPU keeps the reduction.
"""

import argparse

import jax
import numpy as np

from kernel_throughput import device_name, workload
from predict_latency import best_time
from skattn.kernels import transformer
from skattn.kernels._state import KernelState, _sum_by_products


def reduction(self, K, keepdims=False):
    return K.sum(axis=(1, 2) if self.own else (1, 3), keepdims=keepdims)


def products(self, K, keepdims=False):
    if self.own:
        return reduction(self, K, keepdims)
    out = _sum_by_products(K)
    return out[:, None, :, None] if keepdims else out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    X = workload(args.n, args.length, args.features, args.dtype)
    k = transformer(n_blocks=2, positional="sum")
    forms = {"reduction": reduction, "products": products}
    times, outs = {name: [] for name in forms}, {}
    kept = KernelState.token_sum
    try:
        for _ in range(args.rounds):
            for name, form in forms.items():
                KernelState.token_sum = form
                jax.clear_caches()  # else the jitted tile of the other form is reused
                outs[name] = k(X, get=("nngp", "ntk"))  # compiles
                times[name].append(best_time(lambda: k(X, get=("nngp", "ntk")), args.repeats))
    finally:
        KernelState.token_sum = kept
    gap = max(np.abs(outs["products"][kind] - outs["reduction"][kind]).max()
              / np.abs(outs["reduction"][kind]).max() for kind in ("nngp", "ntk"))
    print(f"{device_name()}; n={args.n} L={args.length} d={args.features} {args.dtype}; "
          f"largest relative difference between the forms {gap:.1e}")
    print("| token sum | times (best of each round) | pairs/s (best) |")
    print("| --- | --- | --- |")
    for name, seconds in times.items():
        listed = ", ".join(f"{s:.3f} s" for s in seconds)
        print(f"| {name} | {listed} | {args.n ** 2 / min(seconds):,.0f} |")
    ratio = min(times["reduction"]) / min(times["products"])
    print(f"products against reduction: {ratio:.2f}x (best against best)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
