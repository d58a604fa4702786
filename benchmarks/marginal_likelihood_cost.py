"""Cost of one log marginal likelihood and its gradient against one kernel.

The issue's bar (#11): one evaluation of the NNGP log marginal likelihood with
its gradient with respect to the learned hyperparameters takes at most 4x one
evaluation of the train-train NNGP kernel of the same network on the same data
(the estimator's, ``kernel_``).  All are timed warm (compiled), in interleaved
rounds (so that a load that comes and goes hits each alike), best of
``--repeats``, in wall time and in this process's CPU time (which other jobs
on a shared machine disturb less)::

    .venv/bin/python benchmarks/marginal_likelihood_cost.py
    .venv/bin/python benchmarks/marginal_likelihood_cost.py --dtype float32 --n 200

The evaluation is the one the optimizer calls (``AttentionNNGPRegressor``'s
``log_marginal_likelihood(theta, eval_gradient=True)``): the kernel, its
Cholesky factorisation, ``A^-1`` and the kernel's vector-Jacobian product.
The script also prints the time of the plain log marginal likelihood and of
the VJP alone, and checks the gradient against central differences.
"""

import argparse
import time

import numpy as np

from skattn import AttentionNNGPRegressor

LEARN = ("qk_std", "ov_std", "w_std", "pos_std", "alpha")


def best_times(fns, repeats):
    """Best wall and process CPU times of each of ``fns`` over ``repeats`` rounds
    that call each once: ``{name: (wall, cpu)}``."""
    for fn in fns.values():
        fn()  # compile
    wall, cpu = dict.fromkeys(fns, float("inf")), dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[name] = min(wall[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
    return {name: (wall[name], cpu[name]) for name in fns}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--n-blocks", type=int, default=2)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, args.length, args.features)).astype(args.dtype)
    y = np.tanh(X[:, :, 0].mean(axis=1) * 3) + 0.1 * rng.normal(size=args.n)
    params = dict(n_blocks=args.n_blocks, positional="sum", b_std=0.1, alpha=1e-2)
    reg = AttentionNNGPRegressor(**params, dtype=args.dtype, learn=LEARN).fit(X, y)
    theta = np.log(list(reg.hyperparameters_.values()))
    layer = reg.kernel_  # the network the likelihood is of
    W = rng.normal(size=(args.n, args.n))

    times = best_times({
        "kernel": lambda: layer(X, get="nngp"),
        "lml": lambda: reg.log_marginal_likelihood(theta),
        "vjp": lambda: layer.vjp(W + W.T, X),
        "both": lambda: reg.log_marginal_likelihood(theta, eval_gradient=True),
    }, args.repeats)

    value, grad = reg.log_marginal_likelihood(theta, eval_gradient=True)
    h, direction = 1e-4, rng.normal(size=len(theta))
    numeric = (reg.log_marginal_likelihood(theta + h * direction)
               - reg.log_marginal_likelihood(theta - h * direction)) / (2 * h)
    error = abs(grad @ direction - numeric) / abs(numeric)

    print(f"n={args.n}, L={args.length}, d={args.features}, n_blocks={args.n_blocks}, "
          f"{args.dtype}, learned {list(reg.hyperparameters_)}")
    print(f"{'':35s}{'wall':>9s} {'ratio':>7s} {'CPU':>9s} {'ratio':>7s}")
    labels = {"kernel": "NNGP kernel (train-train)", "lml": "log marginal likelihood",
              "vjp": "kernel VJP alone", "both": "log marginal likelihood + gradient"}
    (kernel, kernel_cpu) = times["kernel"]
    for name, label in labels.items():
        wall, cpu = times[name]
        print(f"{label:35s}{wall:8.3f}s {wall / kernel:6.2f}x {cpu:8.3f}s "
              f"{cpu / kernel_cpu:6.2f}x")
    print(f"gradient vs central differences: relative error {error:.1e}")


if __name__ == "__main__":
    main()
