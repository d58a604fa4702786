"""Sequence classification: choose the architecture by cross-validation.

Scikit-learn's digits are read as sequences of 8 tokens (the pixel rows of each
8x8 image), each token 8 pixel intensities.  ``GridSearchCV`` picks the depth,
the positional embeddings and the layer normalisation of an infinitely wide
transformer trained by gradient descent (``AttentionNTKClassifier``); the
figure shows the cross-validated accuracy of every configuration and the test
accuracy of the one chosen.

    python examples/digits_grid_search.py  # writes digits_grid_search.png here
    python examples/digits_grid_search.py --quick  # a few seconds: 60 digits, 2 settings
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split

from skattn import AttentionNTKClassifier

from _common import example_parser, save_figure


def main(argv=None):
    parser = example_parser(__doc__, quick="small subset and grid (CI)")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8) / 16.0  # (n_images, 8 rows, 8 pixels), in [0, 1]
    n_train, n_test = (60, 100) if args.quick else (800, 997)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=n_train, test_size=n_test, random_state=0, stratify=y)

    # Without positional embeddings val_pos_emb has nothing to add: two sub-grids.
    grid = [{"positional": ["none"]}, {"positional": ["sum"], "val_pos_emb": [False, True]}]
    if args.quick:  # one configuration from each sub-grid
        grid = [{"positional": ["none"]}, {"positional": ["sum"], "val_pos_emb": [True]}]
    else:
        grid = [g | {"n_blocks": [1, 2], "layer_norm": ["post", "none"]} for g in grid]
    search = GridSearchCV(
        AttentionNTKClassifier(n_blocks=1, dtype="float32"), grid,
        cv=2 if args.quick else 3)
    start = time.perf_counter()
    search.fit(X_train, y_train)
    test_accuracy = search.score(X_test, y_test)
    print(f"{len(search.cv_results_['params'])} configurations x {search.n_splits_} "
          f"folds in {time.perf_counter() - start:.1f} s")
    print(f"best: {search.best_params_}, CV accuracy {search.best_score_:.3f}, "
          f"test accuracy {test_accuracy:.3f}")

    results = search.cv_results_
    order = np.argsort(results["mean_test_score"])
    labels = [", ".join(f"{k}={v}" for k, v in results["params"][i].items()) for i in order]
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(order) + 1.6))
    ax.barh(range(len(order)), results["mean_test_score"][order],
            xerr=results["std_test_score"][order], color="tab:blue", alpha=0.8)
    ax.set_yticks(range(len(order)), labels, fontsize=8)
    low = max(0.0, results["mean_test_score"].min() - 0.05)
    ax.set_xlim(low, 1.0)
    ax.set_xlabel(f"{search.n_splits_}-fold cross-validated accuracy "
                  f"({n_train} training digits)")
    ax.set_title(f"AttentionNTKClassifier, digits as sequences of rows\n"
                 f"best: test accuracy {test_accuracy:.3f} ({n_test} held-out digits)",
                 fontsize=10)
    fig.tight_layout()
    save_figure(fig, args.out, "digits_grid_search.png")


if __name__ == "__main__":
    main()
