"""How good the classifiers' probabilities are, against SVC(probability=True).

On the README's digits split (8 rows of 8 pixels, ``X / 16``,
``train_test_split(random_state=0)``) and on ArrowHead (UCR, 251 tokens of one
feature, its published split, aeon), with ``n_blocks=2, positional="sum",
val_pos_emb=True``, for both classifiers: accuracy, test log-loss and the
largest probability given to a misclassified point, for

* ``predict_proba`` as shipped: the posterior of the model's own kernel with its
  standard deviation scaled by ``proba_scale_``, fitted by leave-one-out
  (:mod:`skattn._calibration`);
* the alternatives it was chosen against, from the same fitted model: no scale
  (``tau = 1``; before this calibration the NNGP classifier gave exactly that,
  and the NTK classifier used the spread over initialisations, smaller still),
  the output scale of the marginal likelihood (``tau**2 = Y^T A^-1 Y / Y.size``,
  closed form) and a softmax of ``decision_function / T`` with ``T`` fitted by
  the same leave-one-out log-loss (temperature scaling);
* ``SVC(probability=True)`` on the flattened sequences (the default RBF SVC, with
  Platt scaling by internal 5-fold cross-validation).

Run ``python benchmarks/calibration.py`` (about 5 minutes on a 2-core CPU, most
of it ArrowHead's kernels), or ``--datasets digits``.
"""

import argparse
import tempfile
import warnings

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from skattn import AttentionNNGPClassifier, AttentionNTKClassifier, _calibration, _inference

PARAMS = dict(n_blocks=2, positional="sum", val_pos_emb=True)


def load(name):
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return train_test_split(X.reshape(-1, 8, 8) / 16, y, random_state=0)
    from aeon.datasets import load_classification

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (X, y), (X_test, y_test) = [load_classification(name, split=s) for s in ("train", "test")]
    return X.transpose(0, 2, 1), X_test.transpose(0, 2, 1), y, y_test


def figures(proba, codes):
    wrong = proba.argmax(axis=1) != codes
    return dict(accuracy=1 - wrong.mean(), log_loss=_calibration.log_loss(proba, codes),
                max_wrong=proba.max(axis=1)[wrong].max() if wrong.any() else np.nan)


def alternatives(clf, X_test):
    """The probabilities the shipped ones were chosen against, from ``clf``'s fit."""
    model = clf.posterior_
    kind = model.kind
    test_train = clf.compute_kernel(X_test, clf.X_train_, kind=kind)  # cached by memory
    test = clf._kernels(X_test, kinds=(kind,), diagonal=True)[kind]
    mean = test_train @ model.dual_coef
    std = np.sqrt(np.clip(_inference.nngp_covariance(test, test_train, model.solver), 0, None))
    Y = clf.y_train_
    ml_scale = np.sqrt(np.einsum("ik,ik->", Y, model.dual_coef) / Y.size)
    loo_mean, _ = _calibration.model_leave_one_out(model, clf.alpha, None, Y)
    codes = Y.argmax(axis=1)

    def loo_loss(log_t):
        return -np.mean(log_softmax(loo_mean / np.exp(log_t), axis=1)[np.arange(len(Y)), codes])

    T = np.exp(minimize_scalar(loo_loss, bounds=(-25, 25), method="bounded").x)
    return {"no scale (tau = 1)": _inference.max_probabilities(mean, std),
            f"marginal-likelihood scale ({ml_scale:.3g})":
                _inference.max_probabilities(mean, ml_scale * std),
            f"softmax, LOO temperature ({T:.3g})": softmax(mean / T, axis=1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "ArrowHead"],
                        choices=["digits", "ArrowHead"])
    args = parser.parse_args(argv)
    print("| data set | model | probabilities | accuracy | log-loss "
          "| top probability on a misclassified point |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in args.datasets:
        X_train, X_test, y_train, y_test = load(name)
        rows = []
        for cls in (AttentionNNGPClassifier, AttentionNTKClassifier):
            with tempfile.TemporaryDirectory() as cache:
                clf = cls(**PARAMS, memory=cache).fit(X_train, y_train)
                codes = np.searchsorted(clf.classes_, y_test)
                shipped = f"`predict_proba` (LOO scale {clf.proba_scale_:.3g})"
                rows.append((cls.__name__, shipped, figures(clf.predict_proba(X_test), codes)))
                for label, proba in alternatives(clf, X_test).items():
                    rows.append((cls.__name__, label, figures(proba, codes)))
        flat = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
        with warnings.catch_warnings():  # probability=True is deprecated in scikit-learn 1.9
            warnings.simplefilter("ignore", FutureWarning)
            svc = SVC(probability=True, random_state=0).fit(flat[0], y_train)
            rows.append(("SVC", "`probability=True`", figures(
                svc.predict_proba(flat[1]), np.searchsorted(svc.classes_, y_test))))
        for model, label, f in rows:
            print(f"| {name} | {model} | {label} | {f['accuracy']:.3f} | {f['log_loss']:.3f} "
                  f"| {f['max_wrong']:.4f} |", flush=True)


if __name__ == "__main__":
    main()
