"""Which architecture defaults the estimators should have: test accuracy per data set.

Every configuration is an ``AttentionNTKClassifier`` (to convergence, ``alpha`` at
its default) that differs from the others only in how it sees token positions;
each data set also gets an RBF ``SVC`` whose ``C`` and ``gamma`` this script
chooses by 5-fold cross-validation on the training split. The data sets:

* ``ArrowHead``, ``ItalyPowerDemand``: UCR univariate series of one length (251
  and 24 tokens of 1 feature), their published train/test splits (aeon);
* ``PickupGestureWiimoteZ``: UCR series of 29 to 361 tokens, padded by
  ``SequencePadder`` and standardised by ``SequenceScaler`` (aeon);
* ``digits``: scikit-learn's digits as 8 rows of 8 pixels, ``X / 16``, the
  README's split (``train_test_split(random_state=0)``);
* ``trend``: a synthetic task that only order can solve (`trend_sequences`):
  whether the first feature of a 3- to 11-token sequence rises, falls or stays
  flat, from a random offset.

The series go through ``SequencePadder -> SequenceScaler`` for every model; the
SVC sees the flattened result with padding as 0. Run::

    python benchmarks/defaults.py                # the table of docs/user-guide.md
    python benchmarks/defaults.py --quick        # digits subset and trend only
    python benchmarks/defaults.py --datasets digits trend --configs none sum+val

It prints one Markdown row per data set as soon as that data set is done, and
writes every figure to ``--json`` if given. On a 2-core CPU shared with other
jobs, digits took 9 minutes, trend and ItalyPowerDemand 4 each, and ArrowHead
and PickupGestureWiimoteZ (251 and up to 361 tokens) 30 and 24 minutes with
four of the configurations (``--configs none sum+val concat+val sum+val+exp``).
"""

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from skattn import AttentionNTKClassifier
from skattn.preprocessing import SequencePadder, SequenceScaler

#: The position options compared (the other parameters keep their defaults).
CONFIGS = {
    "none": dict(positional="none", val_pos_emb=False),
    "sum": dict(positional="sum", val_pos_emb=False),
    "sum+val": dict(positional="sum", val_pos_emb=True),
    "concat+val": dict(positional="concat", val_pos_emb=True),
    "sum+val+exp": dict(positional="sum", val_pos_emb=True, pos_decay="exp"),
}

UCR = ("ArrowHead", "ItalyPowerDemand", "PickupGestureWiimoteZ")
DATASETS = ("digits", "trend", "ItalyPowerDemand", "ArrowHead", "PickupGestureWiimoteZ")


def trend_sequences(n, seed):
    """``n`` sequences of 3-11 tokens of 2 features; the class is the trend of feature 0.

    Feature 0 is ``offset + slope * (position - centre) + noise`` with a
    standard-normal offset, a slope of 0.4 (class "rising"), -0.4 ("falling")
    or 0 ("flat"), the sequence's middle position as centre, and noise of
    standard deviation 0.1; feature 1 is standard-normal noise. A rising and a
    falling sequence then hold the same bag of values in opposite orders:
    without positions a model can tell flat from sloped by the spread of the
    values, but not rising from falling. NaN-padded to 11 tokens.
    """
    rng = np.random.default_rng(seed)
    labels = rng.choice(["rising", "falling", "flat"], size=n)
    slopes = np.select([labels == "rising", labels == "falling"], [0.4, -0.4], 0.0)
    X = np.full((n, 11, 2), np.nan)
    for i, length in enumerate(rng.integers(3, 12, size=n)):
        position = np.arange(length) - (length - 1) / 2
        X[i, :length, 0] = rng.normal() + slopes[i] * position + rng.normal(0, 0.1, length)
        X[i, :length, 1] = rng.normal(size=length)
    return X, labels


def load(name, quick=False):
    """``(X_train, X_test, y_train, y_test)``; series as lists or (n, L, 1) arrays."""
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        split = train_test_split(X.reshape(-1, 8, 8) / 16, y, random_state=0)
        if quick:  # every fourth sample
            split = [part[::4] for part in split]
        return split
    if name == "trend":
        n = 150 if quick else 300
        X, y = trend_sequences(2 * n, seed=0)
        return X[:n], X[n:], y[:n], y[n:]
    from aeon.datasets import load_classification

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = [load_classification(name, split=split) for split in ("train", "test")]
    # aeon gives (n, channels, length) arrays or lists of (channels, length_i)
    (X_train, y_train), (X_test, y_test) = [
        ([np.asarray(x).T for x in X], y) for X, y in parts]
    return X_train, X_test, y_train, y_test


def _flatten(X):
    return np.nan_to_num(X.reshape(len(X), -1), nan=0.0)


def svc_baseline(X_train, X_test, y_train, y_test):
    """RBF SVC on the flattened padded sequences, ``C`` and ``gamma`` by 5-fold CV."""
    n_columns = _flatten(SequencePadder().fit_transform(X_train)).shape[1]
    model = make_pipeline(SequencePadder(), SequenceScaler(), FunctionTransformer(_flatten),
                          SVC(kernel="rbf"))
    grid = {"svc__C": [0.1, 1, 10, 100, 1000],
            "svc__gamma": [g / n_columns for g in (0.01, 0.1, 1, 10)]}
    folds = min(5, np.unique(y_train, return_counts=True)[1].min())
    search = GridSearchCV(model, grid, cv=StratifiedKFold(folds, shuffle=True, random_state=0))
    return search.fit(X_train, y_train).score(X_test, y_test)


def attention_accuracy(params, X_train, X_test, y_train, y_test, scale=True):
    steps = [SequencePadder(), SequenceScaler()] if scale else []
    model = make_pipeline(*steps, AttentionNTKClassifier(**params))
    return model.fit(X_train, y_train).score(X_test, y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--quick", action="store_true",
                        help="digits (a quarter) and trend (150 + 150) only")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    datasets = [d for d in args.datasets if d not in UCR] if args.quick else args.datasets

    print("| data set | " + " | ".join(f"`{c}`" for c in args.configs)
          + " | RBF-SVC, grid-searched | seconds |")
    print("| --- " * (len(args.configs) + 3) + "|", flush=True)
    results = {}
    for name in datasets:
        start = time.perf_counter()
        split = load(name, quick=args.quick)
        row = {c: attention_accuracy(CONFIGS[c], *split, scale=name != "digits")
               for c in args.configs}
        row["svc"] = svc_baseline(*split)
        results[name] = row
        cells = " | ".join(f"{row[c]:.3f}" for c in [*args.configs, "svc"])
        print(f"| {name} | {cells} | {time.perf_counter() - start:.0f} |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(configs={c: CONFIGS[c] for c in args.configs}, results=results),
                      f, indent=1)
    return results


if __name__ == "__main__":
    main()
