"""Finite attention networks approach their kernels: distance against width and heads.

The NNGP and NTK of ``skattn.kernels.transformer`` are limits of finite networks
as they grow wide. This example samples finite transformers (``skattn.networks``)
on real sequences, aeon's ItalyPowerDemand (24 hourly values per day as 6 tokens
of 4 hours), estimates both kernels by Monte Carlo (``monte_carlo_kernel``: the
average product of outputs and the average inner product of parameter
gradients), and plots their relative distance to the analytic kernels against
the width, for several numbers of attention heads. The distance has two parts:
the bias of a finite width, which falls as ``1/width``, and the spread of a finite
number of samples, which falls as ``1/sqrt(n_samples)`` (dotted: the part that
the samples' own standard errors predict). The NTK concentrates as the network
widens, so its spread falls with width too.

    python examples/finite_width_convergence.py          # writes the figure
    python examples/finite_width_convergence.py --quick  # small sizes (CI)
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from aeon.datasets import load_classification

from skattn.kernels import transformer
from skattn.networks import monte_carlo_kernel

from _common import example_parser, save_figure

LAYER = transformer(n_blocks=1, positional="sum", qk_std=1.0)


def distance(estimate, exact):
    return np.linalg.norm(estimate - exact) / np.linalg.norm(exact)


def main(argv=None):
    parser = example_parser(__doc__, quick="small sizes (CI)")
    args = parser.parse_args(argv)
    X, _ = load_classification("ItalyPowerDemand", split="train")
    n = 6 if args.quick else 16
    X = X[:n, 0, :].reshape(n, 6, 4).astype(np.float32)
    widths = [8, 16] if args.quick else [8, 16, 32, 64, 128, 256]
    heads = [1] if args.quick else [1, 2, 8]
    n_samples = 8 if args.quick else 64

    exact = LAYER(X.astype(np.float64), get=("nngp", "ntk"))
    results = {}
    for n_heads in heads:
        for width in widths:
            if width < n_heads:
                continue
            start = time.perf_counter()
            estimate, stderr = monte_carlo_kernel(
                LAYER, X, width=width, n_heads=n_heads, n_samples=n_samples,
                random_state=0, get=("nngp", "ntk"), return_stderr=True)
            seconds = time.perf_counter() - start
            row = {kind: (distance(estimate[kind], exact[kind]),
                          np.linalg.norm(stderr[kind]) / np.linalg.norm(exact[kind]))
                   for kind in exact}
            results[n_heads, width] = row
            print(f"heads={n_heads} width={width:<4} NNGP distance {row['nngp'][0]:.3f} "
                  f"(samples' part {row['nngp'][1]:.3f}), NTK distance "
                  f"{row['ntk'][0]:.3f} (samples' part {row['ntk'][1]:.3f}), {seconds:.1f} s")

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, kind in zip(axes, ["nngp", "ntk"]):
        for n_heads, color in zip(heads, ["tab:blue", "tab:orange", "tab:green"]):
            ws = [w for w in widths if (n_heads, w) in results]
            ax.loglog(ws, [results[n_heads, w][kind][0] for w in ws], "o-", color=color,
                      label=f"{n_heads} head{'s' if n_heads > 1 else ''}")
            ax.loglog(ws, [results[n_heads, w][kind][1] for w in ws], ":", color=color)
        ax.loglog(widths, 1 / np.array(widths, float), "k--", lw=0.8, label="1 / width")
        ax.set_xlabel("width (channels of every layer)")
        ax.set_title(f"{kind.upper()}: Monte Carlo ({n_samples} networks) vs analytic",
                     fontsize=10)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("relative Frobenius distance")
    fig.suptitle(f"transformer(n_blocks=1, positional='sum'), {n} ItalyPowerDemand days; "
                 "dotted: the samples' standard error", fontsize=10)
    fig.tight_layout()
    save_figure(fig, args.out, "finite_width_convergence.png")


if __name__ == "__main__":
    main()
