"""``python -m skattn demo``: handwritten digits read as sequences of pixel rows.

Each 8x8 image of scikit-learn's bundled digits data set becomes a sequence of
8 tokens (its rows), each token the row's 8 pixel intensities.  An
:class:`~skattn.AttentionNTKClassifier` (an infinitely wide two-block
transformer trained by gradient descent to convergence) is fitted on part of
the images and scored on the rest, next to an RBF support vector machine on the
same split, with the time each takes.
"""

import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

#: The demo's transformer: positions are added to the tokens and seen by the
#: values too, so that the model knows which row is which.
DEMO_PARAMS = dict(n_blocks=2, positional="sum", val_pos_emb=True)


def digit_sequences():
    """Digits as ``(n, 8, 8)`` sequences of rows, scaled to [0, 1], and labels."""
    X, y = load_digits(return_X_y=True)
    return X.reshape(-1, 8, 8) / 16.0, y


def run(n_train=1000, seed=0, dtype="float64", print=print):
    """Fit both models on ``n_train`` digits, score them on the others, report.

    Returns a dict with the accuracies and times (seconds) of both models.
    """
    from . import AttentionNTKClassifier

    X, y = digit_sequences()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=n_train, random_state=seed, stratify=y)
    print(f"Digits as sequences of 8 rows of 8 pixels: {len(X_train)} to train, "
          f"{len(X_test)} to test.")

    start = time.perf_counter()
    ntk = AttentionNTKClassifier(**DEMO_PARAMS, dtype=dtype).fit(X_train, y_train)
    ntk_accuracy = ntk.score(X_test, y_test)
    ntk_time = time.perf_counter() - start

    start = time.perf_counter()
    flat = len(X_train), -1
    svc = SVC(kernel="rbf").fit(X_train.reshape(flat), y_train)
    svc_accuracy = svc.score(X_test.reshape(len(X_test), -1), y_test)
    svc_time = time.perf_counter() - start

    params = ", ".join(f"{k}={v!r}" for k, v in DEMO_PARAMS.items())
    rows = [(f"AttentionNTKClassifier({params})", ntk_accuracy, ntk_time),
            ('SVC(kernel="rbf") on the flattened images', svc_accuracy, svc_time)]
    width = max(len(r[0]) for r in rows)
    print(f"{'model':<{width}}  accuracy  time (fit + predict)")
    for name, accuracy, seconds in rows:
        print(f"{name:<{width}}  {accuracy:8.3f}  {seconds:.1f} s")
    return dict(ntk_accuracy=ntk_accuracy, ntk_time=ntk_time,
                svc_accuracy=svc_accuracy, svc_time=svc_time)
