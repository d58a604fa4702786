"""Variable-length time series: who is speaking, from 7 to 29 frames of speech.

The JapaneseVowels data set (Kudo, Toyama & Shimbo 1999; UCI archive, shipped
inside the ``sktime`` package) holds utterances of the vowels /ae/ by nine
speakers, each a sequence of 7 to 29 frames of 12 linear-prediction
coefficients.  ``SequencePadder`` pads the sequences with NaN tokens, which the
attention kernels mask out, so no sequence is cut or stretched;
``SequenceScaler`` standardises the coefficients over the real frames only.
The baseline is an RBF support vector machine on fixed-length summaries of the
sequences (mean, standard deviation, first and last frame, length).

    python examples/time_series_padding.py  # writes time_series_padding.png here
    python examples/time_series_padding.py --quick  # a few seconds: 45 + 45 sequences

Needs the ``examples`` extra (``pip install "skattn[examples]"``) for sktime.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skattn import AttentionNNGPClassifier, AttentionNTKClassifier
from skattn import SequencePadder, SequenceScaler

from _common import example_parser, save_figure


def load_japanese_vowels(split):
    """The ``split`` ("train" or "test") as a list of (n_frames, 12) arrays, and labels."""
    from sktime.datasets import load_japanese_vowels as load

    frame, labels = load(split=split, return_X_y=True)  # one pd.Series per cell
    sequences = [np.column_stack([cell.to_numpy() for cell in row])
                 for row in frame.itertuples(index=False)]
    return sequences, np.asarray(labels).astype(int)


def subsample(sequences, labels, per_class, seed=0):
    """``per_class`` sequences of each label."""
    rng = np.random.default_rng(seed)
    keep = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class]
                           for c in np.unique(labels)])
    return [sequences[i] for i in keep], labels[keep]


def summaries(sequences):
    """Fixed-length features of each sequence, for the baseline."""
    return np.array([np.concatenate([s.mean(0), s.std(0), s[0], s[-1], [len(s)]])
                     for s in sequences])


def main(argv=None):
    parser = example_parser(__doc__, quick="45 + 45 sequences (CI)")
    args = parser.parse_args(argv)

    X_train, y_train = load_japanese_vowels("train")
    X_test, y_test = load_japanese_vowels("test")
    if args.quick:
        X_train, y_train = subsample(X_train, y_train, 5)
        X_test, y_test = subsample(X_test, y_test, 5)
    lengths = [len(s) for s in X_train + X_test]
    print(f"{len(X_train)} training and {len(X_test)} test sequences of "
          f"{min(lengths)} to {max(lengths)} frames of {X_train[0].shape[1]} coefficients")

    architecture = dict(n_blocks=1, positional="sum", val_pos_emb=True)
    models = {
        "AttentionNTKClassifier": make_pipeline(
            SequencePadder(max_len=max(lengths)), SequenceScaler(),
            AttentionNTKClassifier(**architecture)),
        "AttentionNNGPClassifier": make_pipeline(
            SequencePadder(max_len=max(lengths)), SequenceScaler(),
            AttentionNNGPClassifier(**architecture)),
        "SVC on summaries": make_pipeline(StandardScaler(), SVC(kernel="rbf")),
    }
    scores = {}
    for name, model in models.items():
        start = time.perf_counter()
        if name.startswith("SVC"):
            model.fit(summaries(X_train), y_train)
            scores[name] = model.score(summaries(X_test), y_test)
        else:
            scores[name] = model.fit(X_train, y_train).score(X_test, y_test)
        print(f"{name:<24} accuracy {scores[name]:.3f}  ({time.perf_counter() - start:.1f} s)")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    padded = SequencePadder(max_len=max(lengths)).fit_transform(X_train)
    for i, speaker in enumerate(np.unique(y_train)[:3]):
        for k, j in enumerate(np.flatnonzero(y_train == speaker)[:3]):
            left.plot(padded[j, :, 0], color=f"C{i}", marker=".",
                      label=f"speaker {speaker}" if k == 0 else None)
    left.set_xlabel("frame (NaN padding after each sequence's end is not drawn)")
    left.set_ylabel("first LPC coefficient")
    left.set_title("Sequences of different lengths, padded with NaN")
    left.legend(fontsize=8)
    names = list(scores)
    right.barh(names, [scores[n] for n in names], color=["tab:blue", "tab:cyan", "tab:gray"])
    for k, name in enumerate(names):
        right.text(scores[name] - 0.005, k, f"{scores[name]:.3f}", va="center", ha="right",
                   color="white", fontsize=9)
    right.set_xlim(max(0.0, min(scores.values()) - 0.1), 1.0)
    right.set_xlabel(f"test accuracy ({len(X_test)} utterances, 9 speakers)")
    right.set_title("JapaneseVowels speaker identification")
    fig.tight_layout()
    save_figure(fig, args.out, "time_series_padding.png")


if __name__ == "__main__":
    main()
