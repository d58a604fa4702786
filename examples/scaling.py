"""Scaling: accuracy and kernel time against depth and sequence length.

Each 8x8 digit of scikit-learn's digits data set is cut into ``L`` tokens of
``64 / L`` consecutive pixels (``L = 8`` is one token per row).  For several
depths ``n_blocks`` and token counts ``L``, an ``AttentionNTKClassifier`` is
fitted and scored, and the train-train kernel is timed once compiled.  Every
attention block costs ``O(L**3)`` per pair of sequences (the attention
matrices multiply the ``L x L`` token kernels from both sides) and every block
adds the same work again, so time grows linearly with depth and, for long
sequences, cubically with length.

    python examples/scaling.py           # writes scaling.png here
    python examples/scaling.py --quick   # a few seconds: 50 digits, 3 settings
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skattn import AttentionNTKClassifier

from _common import example_parser, save_figure


def as_tokens(images, length):
    """``(n, 64)`` pixels as ``(n, length, 64 // length)`` sequences, in reading order."""
    return images.reshape(len(images), length, 64 // length)


def measure(n_blocks, length, data):
    """Test accuracy and warm train-train kernel time of one setting."""
    X_train, X_test, y_train, y_test = data
    X_train, X_test = as_tokens(X_train, length), as_tokens(X_test, length)
    model = AttentionNTKClassifier(n_blocks=n_blocks, positional="sum", val_pos_emb=True,
                                   dtype="float32")
    accuracy = model.fit(X_train, y_train).score(X_test, y_test)  # compiles too
    times = []
    while len(times) < 3 and sum(times) < 1.0:  # best of up to 3 short runs
        start = time.perf_counter()
        model.compute_kernel(X_train)
        times.append(time.perf_counter() - start)
    return accuracy, min(times)


def main(argv=None):
    parser = example_parser(__doc__, quick="fewer digits and settings (CI)")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    n = 50 if args.quick else 500
    data = train_test_split(X / 16.0, y, train_size=n, test_size=n, random_state=0, stratify=y)
    depths = [0, 1] if args.quick else [0, 1, 2, 3, 4]
    lengths = [4, 8] if args.quick else [2, 4, 8, 16, 32, 64]
    deep = 1 if args.quick else 2  # the depth of the sweep over L

    results = {}  # (n_blocks, L) -> (accuracy, seconds)
    settings = [(d, 8) for d in depths] + [(deep, length) for length in lengths]
    for n_blocks, length in dict.fromkeys(settings):
        accuracy, seconds = measure(n_blocks, length, data)
        results[n_blocks, length] = accuracy, seconds
        print(f"n_blocks={n_blocks} L={length:<3} accuracy {accuracy:.3f}, "
              f"{n} x {n} train kernel in {seconds:.2f} s")
    sweeps = {"n_blocks": [results[d, 8] for d in depths],
              "L": [results[deep, length] for length in lengths]}

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, (name, xs, label) in zip(axes, [
            ("n_blocks", depths, "n_blocks (attention blocks), L = 8 rows"),
            ("L", lengths, f"L (tokens per digit, 64 / L pixels each), n_blocks = {deep}")]):
        accuracy, seconds = np.array(sweeps[name]).T
        ax.plot(xs, accuracy, "o-", color="tab:blue")
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy", color="tab:blue")
        twin = ax.twinx()
        twin.plot(xs, seconds, "s--", color="tab:red")
        if name == "L":  # log-log: the slope is the power of L
            ax.set_xscale("log", base=2)
            ax.set_xticks(xs, [str(x) for x in xs])
            twin.set_yscale("log")
        else:
            twin.set_ylim(0, None)
        twin.set_ylabel(f"{n} x {n} kernel time (s)", color="tab:red")
    fig.suptitle(f"AttentionNTKClassifier on digits ({n} train, {n} test), float32, CPU",
                 fontsize=10)
    fig.tight_layout()
    save_figure(fig, args.out, "scaling.png")


if __name__ == "__main__":
    main()
