"""Uncertainty: one-step forecasts with the NNGP posterior, and where it doubts.

A noisy signal (two sinusoids) is forecast one step ahead from its last 16
values.  Each input is a sequence of 13 tokens, token ``t`` holding the four
values up to time ``t`` (a delay embedding).  The Bayesian infinitely wide
transformer, ``AttentionNNGPRegressor``, is trained on windows from the first
part of the signal only; later the signal's amplitude grows beyond anything
seen in training.  The weight scale ``w_std`` (which sets the prior's
amplitude) and the noise level ``alpha`` are chosen by the log marginal
likelihood of the training targets.  The figure plots the posterior mean and
a band of two standard deviations against the truth: the band is narrow where
the model has seen similar windows and widens where it extrapolates.

    python examples/uncertainty_regression.py  # writes uncertainty_regression.png here
    python examples/uncertainty_regression.py --quick  # a few seconds
"""

from itertools import product

import matplotlib.pyplot as plt
import numpy as np

from skattn import AttentionNNGPRegressor

from _common import example_parser, save_figure

WINDOW, LAGS = 16, 4  # past values per input; values per token
NOISE = 0.05  # standard deviation of the observation noise
CHANGE = 360  # the amplitude starts growing here; training windows end here


def signal(length, rng):
    """Two sinusoids whose amplitude doubles after ``CHANGE``, plus noise."""
    t = np.arange(length)
    amplitude = np.where(t < CHANGE, 1.0, 1.0 + (t - CHANGE) / (length - CHANGE))
    clean = amplitude * (np.sin(2 * np.pi * t / 37) + 0.4 * np.sin(2 * np.pi * t / 13))
    return clean + NOISE * rng.normal(size=length)


def windows(series):
    """Inputs ``(n, WINDOW - LAGS + 1, LAGS)``, next values ``(n,)``, and their times."""
    times = np.arange(WINDOW, len(series))
    past = np.stack([series[t - WINDOW:t] for t in times])  # (n, WINDOW)
    tokens = np.stack([past[:, lag:WINDOW - LAGS + 1 + lag] for lag in range(LAGS)], axis=-1)
    return tokens, series[times], times


def main(argv=None):
    parser = example_parser(__doc__, quick="fewer windows and settings (CI)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)

    X, y, times = windows(signal(520, rng))
    train = np.flatnonzero(times < CHANGE)[::8 if args.quick else 2]
    test = np.arange(0, len(times), 6 if args.quick else 1)

    grid = product([1.0, 1.5] if args.quick else [1.0, 1.5, 2.0],
                   [1e-2] if args.quick else [1e-3, 1e-2, 3e-2])
    print(f"{len(train)} training windows; log marginal likelihood of each setting:")
    models = []
    for w_std, alpha in grid:
        model = AttentionNNGPRegressor(
            n_blocks=1, positional="sum", val_pos_emb=True, layer_norm="none",
            w_std=w_std, alpha=alpha, normalize_y=True).fit(X[train], y[train])
        models.append((model.log_marginal_likelihood(), w_std, alpha, model))
        print(f"  w_std={w_std:<4} alpha={alpha:<6g} {models[-1][0]:8.1f}")
    evidence, w_std, alpha, model = max(models, key=lambda m: m[0])
    print(f"chosen: w_std={w_std}, alpha={alpha:g}")

    mean, std = model.predict(X[test], return_std=True)
    # std is that of the noise-free function; alpha is the noise variance of the
    # standardised targets (normalize_y=True), so in target units it is:
    noise_var = alpha * y[train].std() ** 2
    band = 2 * np.sqrt(std**2 + noise_var)
    inside = np.abs(y[test] - mean) <= band
    late = times[test] >= CHANGE
    for name, part in [("seen amplitude", ~late), ("larger amplitude", late)]:
        rmse = np.sqrt(np.mean((mean - y[test])[part] ** 2))
        print(f"{name:>16}: RMSE {rmse:.3f}, mean std {std[part].mean():.3f}, "
              f"truth inside the band {inside[part].mean():.0%}")

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True,
                                      gridspec_kw=dict(height_ratios=[3, 1.2]))
    t = times[test]
    top.fill_between(t, mean - band, mean + band, color="tab:blue", alpha=0.25,
                     label="mean $\\pm$ 2 std (noise included)")
    top.plot(t, mean, color="tab:blue", lw=1.2, label="posterior mean")
    top.plot(t, y[test], color="black", lw=0.8, ls="--", label="truth")
    top.scatter(times[train], y[train], s=6, color="tab:red", zorder=3,
                label="training targets")
    for ax in (top, bottom):
        ax.axvspan(CHANGE, times[-1], color="gray", alpha=0.1)
    top.set_ylabel("next value")
    top.set_title(f"AttentionNNGPRegressor, one-step forecasts (w_std={w_std}, "
                  f"alpha={alpha:g} by marginal likelihood)\ngrey: amplitude larger than "
                  "in any training window", fontsize=10)
    top.legend(fontsize=8, loc="upper left", ncol=2)
    bottom.plot(t, std, color="tab:blue")
    bottom.set_ylabel("posterior std")
    bottom.set_xlabel("time step")
    fig.tight_layout()
    save_figure(fig, args.out, "uncertainty_regression.png")


if __name__ == "__main__":
    main()
