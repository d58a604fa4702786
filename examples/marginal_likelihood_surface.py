"""Learning hyperparameters: the marginal likelihood surface and the optimizer's path.

An ``AttentionNNGPClassifier`` (``positional="sum", val_pos_emb=True``) on
ItalyPowerDemand (UCR, shipped in aeon's wheel: a day of 24 hourly
electricity demands, winter or summer), one token per hour.  The figure maps
the log marginal likelihood of the training labels over the plane of the
attention's query-key scale ``qk_std`` and the weight scale ``w_std``, both on
log axes, and draws the path L-BFGS-B takes on it (``optimizer="fmin_l_bfgs_b"``,
through a callable optimizer that records its iterates) from the defaults
(1, 1) and from one more start.  It prints the test accuracy at the defaults
and at the learned values.

    python examples/marginal_likelihood_surface.py          # writes marginal_likelihood_surface.png
    python examples/marginal_likelihood_surface.py --quick  # a coarse 4 x 4 grid, 20 + 20 series

Needs aeon for the data (``pip install aeon``).
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import scipy.optimize

from skattn import AttentionNNGPClassifier, SequenceScaler

from _common import example_parser, save_figure

BASE = dict(positional="sum", val_pos_emb=True, alpha=1e-2)
BOUNDS = (0.05, 20.0)  # of qk_std and w_std


def load(quick):
    """ItalyPowerDemand as (n, 24, 1) standardised sequences, its published split."""
    from aeon.datasets import load_classification

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (X_train, y_train), (X_test, y_test) = [
            load_classification("ItalyPowerDemand", split=s) for s in ("train", "test")]
    X_train, X_test = (np.transpose(X, (0, 2, 1)) for X in (X_train, X_test))
    if quick:
        X_train, y_train, X_test, y_test = X_train[:20], y_train[:20], X_test[:20], y_test[:20]
    scaler = SequenceScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def recording_optimizer(paths):
    """An ``optimizer`` callable (GPR's signature) that runs L-BFGS-B and keeps its iterates."""
    def optimizer(obj_func, initial_theta, bounds):
        path = [np.array(initial_theta)]
        result = scipy.optimize.minimize(obj_func, initial_theta, method="L-BFGS-B", jac=True,
                                         bounds=bounds, callback=lambda x: path.append(x.copy()))
        paths.append(np.array(path))
        return result.x, result.fun
    return optimizer


def main(argv=None):
    parser = example_parser(__doc__, quick="coarse grid, fewer series (CI)")
    args = parser.parse_args(argv)
    X_train, X_test, y_train, y_test = load(args.quick)

    paths = []
    learn = {"qk_std": BOUNDS, "w_std": BOUNDS}
    start = time.perf_counter()
    clf = AttentionNNGPClassifier(**BASE, optimizer=recording_optimizer(paths), learn=learn,
                                  n_restarts_optimizer=1, random_state=3).fit(X_train, y_train)
    seconds = time.perf_counter() - start
    default = AttentionNNGPClassifier(**BASE).fit(X_train, y_train)
    print(f"defaults (qk_std=1, w_std=1): log marginal likelihood "
          f"{default.log_marginal_likelihood_value_:.1f}, test accuracy "
          f"{default.score(X_test, y_test):.3f}")
    learned = ", ".join(f"{k}={v:.3g}" for k, v in clf.hyperparameters_.items())
    print(f"learned ({learned}) in {seconds:.1f} s: log marginal likelihood "
          f"{clf.log_marginal_likelihood_value_:.1f}, test accuracy "
          f"{clf.score(X_test, y_test):.3f}")

    size = 4 if args.quick else 15
    grid = np.linspace(np.log(BOUNDS[0]), np.log(BOUNDS[1]), size)
    surface = np.array([[clf.log_marginal_likelihood(np.array([qk, w])) for qk in grid]
                        for w in grid])
    finite = surface[np.isfinite(surface)]
    levels = np.linspace(np.percentile(finite, 20), finite.max(), 25)

    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    exp = np.exp(grid)
    contour = ax.contourf(exp, exp, np.maximum(surface, levels[0]), levels=levels,
                          cmap="viridis", extend="min")
    fig.colorbar(contour, ax=ax, label="log marginal likelihood")
    for k, (path, colour) in enumerate(zip(paths, ["white", "orange"])):
        ax.plot(*np.exp(path).T, "o-", color=colour, ms=3, lw=1.2,
                label="optimizer from the defaults" if k == 0 else "a random restart")
    best = list(clf.hyperparameters_.values())
    ax.plot(*best, "*", color="red", ms=14, label="learned")
    ax.set(xscale="log", yscale="log", xlabel="qk_std", ylabel="w_std",
           title="ItalyPowerDemand: NNGP marginal likelihood")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    save_figure(fig, args.out, "marginal_likelihood_surface.png", dpi=120)


if __name__ == "__main__":
    main()
