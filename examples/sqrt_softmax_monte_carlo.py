"""Standard attention by Monte Carlo: softmax with 1/sqrt(d) logits on ItalyPowerDemand.

The attention of real transformers, softmax over logits scaled by ``1/sqrt(d)``,
has a Gaussian-process limit (infinitely many heads) but no closed-form kernel
(Hron et al. 2020). ``kernel_method="monte_carlo"`` estimates it by averaging
sampled finite networks. On aeon's ItalyPowerDemand (24 hourly values per day,
6 tokens of 4 hours; 67 training and 1029 test days, 2 classes), this example
compares the test accuracy of ``AttentionNNGPClassifier`` with:

* the exact kernels: ``1/d`` softmax attention (tied query/key weights) and
  ``1/sqrt(d)`` identity attention, the two closed forms;
* Monte Carlo ``1/sqrt(d)`` softmax attention, against ``n_samples``;
* Monte Carlo ``1/d`` softmax attention, whose exact kernel is known: its
  kernel's relative error measures how the estimate converges (and what it costs)
  as ``n_samples`` grows.

    python examples/sqrt_softmax_monte_carlo.py          # writes the figure
    python examples/sqrt_softmax_monte_carlo.py --quick  # fewer samples (CI)
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from aeon.datasets import load_classification

from skattn import AttentionNNGPClassifier

from _common import example_parser, save_figure

HOURS_PER_TOKEN = 4
#: The network: one block, positional embeddings; the Monte Carlo networks' sizes.
ARCHITECTURE = dict(n_blocks=1, positional="sum", alpha=1e-2, dtype="float32")
NETWORKS = dict(width=64, n_heads=4)


def load(split):
    X, y = load_classification("ItalyPowerDemand", split=split)
    X = X[:, 0, :].reshape(len(X), -1, HOURS_PER_TOKEN)  # (n, 6 tokens, 4 hours)
    return X.astype(np.float32), y


def fit_score(X, y, X_test, y_test, **params):
    """Test accuracy, the train kernel and the seconds fit and predict took."""
    start = time.perf_counter()
    clf = AttentionNNGPClassifier(**ARCHITECTURE, **params).fit(X, y)
    accuracy = clf.score(X_test, y_test)
    seconds = time.perf_counter() - start
    return accuracy, clf.compute_kernel(X), seconds


def main(argv=None):
    parser = example_parser(__doc__, quick="fewer samples and test days")
    args = parser.parse_args(argv)
    X, y = load("train")
    X_test, y_test = load("test")
    if args.quick:
        X_test, y_test = X_test[:50], y_test[:50]
    # quick: counts that are multiples of monte_carlo_kernel's 8 samples per compiled
    # call, so that both reuse one compilation of each sampled network
    counts = [8, 16] if args.quick else [4, 16, 64, 256]
    seeds = [0] if args.quick else [0, 1, 2]

    exact = {}
    for label, params in [("1/d softmax, exact", dict(scaling="linear")),
                          ("1/sqrt(d) identity, exact",
                           dict(scaling="sqrt", attention="identity"))]:
        accuracy, kernel, seconds = fit_score(X, y, X_test, y_test, **params)
        exact[label] = (accuracy, kernel)
        print(f"{label:>32}: accuracy {accuracy:.3f} ({seconds:.1f} s)")
    reference = exact["1/d softmax, exact"][1]

    results = {"1/sqrt(d) softmax": {}, "1/d softmax": {}}
    for label, scaling in [("1/sqrt(d) softmax", "sqrt"), ("1/d softmax", "linear")]:
        for n_samples in counts:
            runs = [fit_score(X, y, X_test, y_test, scaling=scaling,
                              kernel_method="monte_carlo", n_samples=n_samples,
                              random_state=seed, **NETWORKS) for seed in seeds]
            accuracy = np.array([r[0] for r in runs])
            seconds = np.mean([r[2] for r in runs])
            error = np.array([np.linalg.norm(r[1] - reference) / np.linalg.norm(reference)
                              for r in runs])
            results[label][n_samples] = (accuracy, error, seconds)
            extra = f", kernel error {error.mean():.3f}" if scaling == "linear" else ""
            print(f"{label + ', Monte Carlo':>32}: n_samples={n_samples:<4} accuracy "
                  f"{accuracy.mean():.3f} +- {accuracy.std():.3f}{extra} "
                  f"({seconds:.1f} s per fit and predict)")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    errors = np.array([results["1/d softmax"][n][1].mean() for n in counts])
    left.loglog(counts, errors, "o-", label="Monte Carlo, 1/d softmax")
    left.loglog(counts, errors[0] * np.sqrt(counts[0] / np.array(counts)), "k--", lw=0.8,
                label="$\\propto 1/\\sqrt{n_{samples}}$")
    left.set_xlabel("n_samples (sampled networks)")
    left.set_ylabel("relative error of the train NNGP")
    left.set_title(f"Kernel error (width {NETWORKS['width']}, "
                   f"{NETWORKS['n_heads']} heads)", fontsize=10)
    left.legend(fontsize=8)
    for (label, points), color in zip(results.items(), ["tab:red", "tab:blue"]):
        mean = [points[n][0].mean() for n in counts]
        std = [points[n][0].std() for n in counts]
        right.errorbar(counts, mean, yerr=std, marker="o", capsize=3, color=color,
                       label=f"{label}, Monte Carlo")
    for (label, (accuracy, _)), style in zip(exact.items(), ["-", ":"]):
        right.axhline(accuracy, color="gray", ls=style, label=label)
    right.set_xscale("log")
    for ax in (left, right):  # ticks at the sample counts, plainly labelled
        ax.set_xticks(counts, [str(c) for c in counts])
        ax.minorticks_off()
    right.set_xlabel("n_samples (sampled networks)")
    right.set_ylabel("test accuracy")
    right.set_title(f"ItalyPowerDemand, AttentionNNGPClassifier ({len(y_test)} test days)",
                    fontsize=10)
    right.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, args.out, "sqrt_softmax_monte_carlo.png")


if __name__ == "__main__":
    main()
