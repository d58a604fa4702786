"""Long time series: pooling before attention makes 1460 steps affordable.

ACSF1 (UCR archive, shipped inside ``aeon``) holds 200 power-consumption
profiles of ten kinds of household appliance, 1460 samples each (one day at
one sample a minute, roughly).  An attention layer costs ``O(L**3)`` per pair
of sequences after the first nonlinearity, so the transformer here embeds each
sample with its neighbours (``filter_size``: a convolution) and average-pools
by ``pool`` before its blocks: the blocks see ``ceil(1460 / pool)`` tokens.
The baselines are 1-nearest-neighbour DTW and ROCKET (Dempster et al. 2020,
10,000 random convolutional kernels and a ridge classifier), both from aeon;
ROCKET's published accuracy on ACSF1 is 0.886.

    python examples/long_series_pooling.py           # 100 + 100 series, pool 16 and 4
    python examples/long_series_pooling.py --quick   # 10 + 10 series, pool 16 (CI)

The figure goes to the current folder (``--out`` for another).

Needs the ``examples`` extra (``pip install "skattn[examples]"``) for aeon.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

from skattn import AttentionNTKClassifier

from _common import example_parser, save_figure


def load_acsf1(split, per_class=None):
    """``(series (n, 1460), labels)`` of ``split`` ("train" or "test"), or
    ``per_class`` series of each label."""
    from aeon.datasets import load_classification

    X, y = load_classification("ACSF1", split=split)
    X, y = X[:, 0, :], y.astype(int)
    if per_class is not None:
        keep = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)])
        X, y = X[keep], y[keep]
    return X, y


def models(pools, quick):
    """The classifiers compared, by name: attention kernels, then the baselines."""
    from aeon.classification.convolution_based import RocketClassifier
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    attention = {f"NTK, pool {p}": AttentionNTKClassifier(
        filter_size=5, pool=p, n_blocks=1, positional="sum", pos_decay="exp",
        pos_scale=4.0, alpha=1e-3) for p in pools}
    # quick: DTW within a Sakoe-Chiba band of 10% of the length, fewer ROCKET kernels
    dtw = dict(distance_params={"window": 0.1}) if quick else {}
    n_kernels = 1_000 if quick else 10_000
    return {**attention,
            "1-NN DTW" + (" (10% band)" if quick else ""):
                KNeighborsTimeSeriesClassifier(distance="dtw", **dtw),
            f"ROCKET ({n_kernels:,} kernels)": RocketClassifier(n_kernels=n_kernels,
                                                                random_state=0)}


def main(argv=None):
    parser = example_parser(__doc__, quick="1 series per class, pool 16, 1,000 ROCKET kernels")
    parser.add_argument("--pools", type=int, nargs="+",
                        help="pooling factors of the attention models (default 16 4)")
    args = parser.parse_args(argv)
    per_class = 1 if args.quick else None
    pools = args.pools or ([16] if args.quick else [16, 4])
    X_train, y_train = load_acsf1("train", per_class)
    X_test, y_test = load_acsf1("test", per_class)
    print(f"ACSF1: {len(X_train)} training and {len(X_test)} test series of "
          f"{X_train.shape[1]} steps, {len(np.unique(y_train))} classes")

    results = {}
    for name, model in models(pools, args.quick).items():
        # aeon takes (n, channels, length), skattn (n, length) of one-feature tokens
        fit_X, test_X = ((X_train, X_test) if name.startswith("NTK")
                         else (X_train[:, None], X_test[:, None]))
        start = time.perf_counter()
        accuracy = np.mean(model.fit(fit_X, y_train).predict(test_X) == y_test)
        results[name] = (accuracy, time.perf_counter() - start)
        print(f"{name:<26} accuracy {accuracy:.3f}  ({results[name][1]:.1f} s, fit and "
              "predict)")

    fig, (ax_series, ax) = plt.subplots(1, 2, figsize=(11, 3.6),
                                        gridspec_kw=dict(width_ratios=[1.2, 1]))
    # one series of each of three classes, one above the other (an offset of 4 apart)
    shown = np.unique(y_train)[:3]
    for row, (c, colour) in enumerate(zip(shown, ["tab:blue", "tab:orange", "tab:green"])):
        series, offset = X_train[y_train == c][0], -4.0 * row
        ax_series.plot(series + offset, lw=0.4, color=colour, alpha=0.6)
        pooled = series[: len(series) // pools[0] * pools[0]].reshape(-1, pools[0]).mean(1)
        ax_series.plot(np.arange(len(pooled)) * pools[0] + pools[0] / 2, pooled + offset,
                       color="black", lw=1.2)
    ax_series.set_yticks(-4.0 * np.arange(len(shown)), [f"class {c}" for c in shown])
    ax_series.set_xlabel("step")
    ax_series.set_title(f"ACSF1 series (colour) and their means over {pools[0]} steps "
                        "(black)", fontsize=10)
    for name, (accuracy, seconds) in results.items():
        ax.scatter(seconds, accuracy, s=40,
                   color="tab:blue" if name.startswith("NTK") else "tab:gray")
        ax.annotate(name, (seconds, accuracy), textcoords="offset points", xytext=(5, 4),
                    fontsize=8)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(plt.NullFormatter())  # labelled decades only
    ax.set_xlabel("fit + predict time (s, log scale)")
    ax.set_ylabel(f"test accuracy ({len(X_test)} series)")
    ax.set_title(f"{len(X_train)} training series of {X_train.shape[1]} steps", fontsize=10)
    ax.margins(x=0.4, y=0.15)
    fig.tight_layout()
    save_figure(fig, args.out, "long_series_pooling.png")


if __name__ == "__main__":
    main()
