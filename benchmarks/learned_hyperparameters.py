"""Learned hyperparameters on real data: defaults, the optimizer, and a grid search.

Three UCR sets from aeon's wheel, on their published train/test splits:
ArrowHead (3 classes, 36 + 175 series of 251 steps), ItalyPowerDemand (2
classes, 67 + 1029 series of 24 steps) and PickupGestureWiimoteZ (10 classes,
50 + 50 series of 29 to 361 steps, ragged).  Each series becomes a sequence of
tokens of ``--token-size`` consecutive values (the last token of a series
repeats its last value; 1 for ItalyPowerDemand), then goes through
``SequencePadder -> SequenceScaler -> AttentionNNGPClassifier`` with
``positional="sum", val_pos_emb=True`` and everything else default.  Three ways
to set ``qk_std`` and ``w_std``:

* ``default``: the parameters' defaults (1, 1);
* ``optimizer``: ``optimizer="fmin_l_bfgs_b"`` (learn=("qk_std", "w_std")),
  the marginal likelihood of the training set;
* ``grid``: ``GridSearchCV(cv=3)`` over qk_std x w_std in {0.5, 1, 2}^2
  (stratified folds, accuracy), refitted on the whole training set.

Printed: test accuracy and wall time of the fit (kernel compilation included;
each model in a fresh JAX cache, so that none inherits another's).  Run::

    .venv/bin/python benchmarks/learned_hyperparameters.py
    .venv/bin/python benchmarks/learned_hyperparameters.py --datasets ItalyPowerDemand
"""

import argparse
import time
import warnings

import jax
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline

from skattn import AttentionNNGPClassifier
from skattn.preprocessing import SequencePadder, SequenceScaler

DATASETS = {"ArrowHead": 4, "ItalyPowerDemand": 1, "PickupGestureWiimoteZ": 4}
BASE = dict(positional="sum", val_pos_emb=True)
GRID = {"qk_std": [0.5, 1.0, 2.0], "w_std": [0.5, 1.0, 2.0]}


def tokens(series, size):
    """A ``(length,)`` series as ``ceil(length / size)`` tokens of ``size`` values."""
    series = np.asarray(series, dtype=float).ravel()
    series = series[~np.isnan(series)]
    count = -(-len(series) // size)
    return np.pad(series, (0, count * size - len(series)), mode="edge").reshape(count, size)


def load(name, token_size):
    from aeon.datasets import load_classification

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = [load_classification(name, split=split) for split in ("train", "test")]
    # aeon gives (n, 1, length) arrays or lists of (1, length_i) arrays
    (X_train, y_train), (X_test, y_test) = [
        ([tokens(x, token_size) for x in X], np.asarray(y)) for X, y in parts]
    return X_train, X_test, y_train, y_test


def model(**params):
    return make_pipeline(SequencePadder(), SequenceScaler(),
                         AttentionNNGPClassifier(**BASE, **params))


def timed_fit(estimator, X, y):
    jax.clear_caches()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    seconds = time.perf_counter() - start
    return seconds, [str(w.message)[:80] for w in caught
                     if issubclass(w.category, ConvergenceWarning)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--token-size", type=int, default=None,
                        help="values per token (default: 4, and 1 for ItalyPowerDemand)")
    args = parser.parse_args(argv)

    rows = []
    for name in args.datasets:
        size = args.token_size or DATASETS[name]
        X_train, X_test, y_train, y_test = load(name, size)
        folds = StratifiedKFold(3, shuffle=True, random_state=0)
        variants = {
            "default": model(),
            "optimizer": model(optimizer="fmin_l_bfgs_b"),
            "grid": GridSearchCV(model(), {f"attentionnngpclassifier__{k}": v
                                           for k, v in GRID.items()}, cv=folds),
        }
        for variant, estimator in variants.items():
            estimator = clone(estimator)
            seconds, warned = timed_fit(estimator, X_train, y_train)
            accuracy = estimator.score(X_test, y_test)
            fitted = estimator.best_estimator_ if variant == "grid" else estimator
            clf = fitted[-1]
            values = {k: round(v, 3) for k, v in clf.hyperparameters_.items()}
            rows.append((name, variant, accuracy, seconds, values))
            print(f"{name:22s} {variant:9s} accuracy {accuracy:.3f}  fit {seconds:7.1f} s  "
                  f"{values}  LML {clf.log_marginal_likelihood_value_:.1f}"
                  + (f"  warnings: {warned}" if warned else ""), flush=True)

    print("\n| data set | default | optimizer | grid search (3x3, cv=3) |")
    print("| --- | --- | --- | --- |")
    for name in args.datasets:
        cells = [f"{acc:.3f} ({sec:.0f} s)" for n, _, acc, sec, _ in rows if n == name]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
