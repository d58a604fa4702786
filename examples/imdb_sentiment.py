"""IMDb sentiment with word vectors, as in the paper's variable-length text experiment.

Movie reviews of the Large Movie Review Dataset (Maas et al. 2011) are read
from its standard ``aclImdb/`` folder, one review per ``.txt`` file under
``train/pos``, ``train/neg``, ``test/pos`` and ``test/neg``.  Each review
becomes a sequence of GloVe word vectors (Pennington et al. 2014, a text file
given by path) through ``skattn.text.TokenEmbedder``; ``SequencePadder`` pads
(and truncates) the sequences; the NNGP and NTK of an infinitely wide
network classify them, as in Hron et al. (2020), sec. 5: a transformer
(``--architecture transformer``), the network the paper's authors ran in
neural-tangents' ``examples/imdb.py`` (``--architecture paper``:
``skattn.kernels.paper_imdb()``, a convolution of 9 words, attention with
decaying positional embeddings, mean pooling), or both (the default).  The
baselines are logistic regression on TF-IDF word counts and on the mean word
vector.

    python examples/imdb_sentiment.py --data-dir PATH/aclImdb --glove PATH/glove.6B.50d.txt
    python examples/imdb_sentiment.py --data-dir ... --glove ... --architecture paper \
        --n-train 300 --n-test 300 --max-len 500   # the authors' setting (slow on a CPU)
    python examples/imdb_sentiment.py --demo           # tiny synthetic corpus, same layout
    python examples/imdb_sentiment.py --demo --quick   # smaller still (CI)

The data: https://ai.stanford.edu/~amaas/data/sentiment/ (aclImdb_v1.tar.gz)
and https://nlp.stanford.edu/projects/glove/ (glove.6B.zip).  The kernels cost
``O(n_train**2 * max_len**3)``: on a CPU keep ``--n-train`` to a few thousand
and ``--max-len`` below ~100, or use a GPU.

``--demo`` writes a small corpus in the ``aclImdb/`` layout and a small
GloVe-format vector file into a temporary folder, then runs exactly the same
loading code on them.
"""

import re
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skattn import AttentionNNGPClassifier, AttentionNTKClassifier, SequencePadder
from skattn.kernels import paper_imdb
from skattn.text import TokenEmbedder, load_glove

from _common import example_parser, save_figure

TOKEN_PATTERN = r"[\w']+"  # words, with their apostrophes ("don't")


# ---------------------------------------------------------------- loading


def load_imdb(data_dir, split, n_reviews=None, seed=0):
    """Reviews and labels (1 positive, 0 negative) of ``split`` ("train" or "test").

    ``n_reviews`` (None: all) are drawn at random, half from each class.
    """
    root = Path(data_dir) / split
    texts, labels = [], []
    rng = np.random.default_rng(seed)
    for label, folder in [(1, "pos"), (0, "neg")]:
        files = sorted((root / folder).glob("*.txt"))
        if not files:
            raise FileNotFoundError(f"No reviews in {root / folder}: is {data_dir} the "
                                    "aclImdb folder of the Large Movie Review Dataset?")
        if n_reviews is not None:
            files = [files[i] for i in rng.permutation(len(files))[:n_reviews // 2]]
        for path in files:
            text = path.read_text(encoding="utf-8")
            texts.append(text.replace("<br />", " "))  # the reviews keep HTML line breaks
            labels.append(label)
    return texts, np.array(labels)


def vocabulary(texts):
    """The lowercase words of the texts, to read only their vectors from GloVe."""
    return {w.lower() for text in texts for w in re.findall(TOKEN_PATTERN, text)}


# ------------------------------------------------------------ demo corpus

POSITIVE = "great excellent wonderful superb loved brilliant enjoyable moving".split()
NEGATIVE = "awful boring terrible waste hated dull poor annoying".split()
NEUTRAL = ("the a film movie plot actor scene story it was and of to this with but "
           "director character ending music some very really").split()
UNKNOWN = "zorblat quindle fravious".split()  # not in the demo's vector file


def write_demo_data(folder, n_per_split, dim=16, seed=0):
    """Write a synthetic ``aclImdb/`` corpus and a GloVe-format file; return their paths.

    Each review is a run of neutral words with a few sentiment words, mostly
    of its own polarity, some words missing from the vector file, and the HTML
    line breaks of the real reviews.  The vectors of positive and negative
    words lean in opposite directions.
    """
    rng = np.random.default_rng(seed)
    root = Path(folder) / "aclImdb"
    for split in ("train", "test"):
        for label, folder_name in [(1, "pos"), (0, "neg")]:
            directory = root / split / folder_name
            directory.mkdir(parents=True, exist_ok=True)
            own, other = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
            for i in range(n_per_split // 2):
                words = list(rng.choice(NEUTRAL, rng.integers(8, 40)))
                for _ in range(rng.integers(2, 5)):
                    pool = own if rng.random() < 0.75 else other
                    words.insert(rng.integers(len(words) + 1), rng.choice(pool))
                if rng.random() < 0.5:
                    words.insert(rng.integers(len(words) + 1), rng.choice(UNKNOWN))
                text = " ".join(words).capitalize() + ". <br /><br />" + \
                    " ".join(rng.choice(NEUTRAL, 3)) + "!"
                rating = rng.integers(7, 11) if label else rng.integers(1, 5)
                (directory / f"{i}_{rating}.txt").write_text(text, encoding="utf-8")
    glove = Path(folder) / "glove.demo.16d.txt"
    with open(glove, "w", encoding="utf-8") as f:
        for words, lean in [(NEUTRAL, 0.0), (POSITIVE, 1.0), (NEGATIVE, -1.0)]:
            for word in words:
                vector = rng.normal(size=dim) / np.sqrt(dim)
                vector[0] += lean
                f.write(word + " " + " ".join(f"{v:.5f}" for v in vector) + "\n")
    return root, glove


# ------------------------------------------------------------------ main


def main(argv=None):
    parser = example_parser(__doc__, quick="smaller sizes (CI)")
    parser.add_argument("--data-dir", type=Path, help="the aclImdb folder")
    parser.add_argument("--glove", type=Path, help="a GloVe vector file (.txt or .txt.gz)")
    parser.add_argument("--demo", action="store_true",
                        help="write and use a tiny synthetic corpus in the same layout")
    parser.add_argument("--n-train", type=int, help="training reviews (default 1000; "
                        "demo 200, quick 32)")
    parser.add_argument("--n-test", type=int, help="test reviews (as --n-train)")
    parser.add_argument("--max-len", type=int,
                        help="tokens kept per review (default 64; quick 16)")
    parser.add_argument("--architecture", choices=["transformer", "paper", "both"],
                        default="both", help="the kernels' network: a one-block "
                        "transformer, the paper authors' IMDb network, or both (default)")
    parser.add_argument("--alpha", type=float, default=0.1,
                        help="observation noise of the kernel models (default 0.1)")
    args = parser.parse_args(argv)
    if not args.demo and (args.data_dir is None or args.glove is None):
        parser.error("give --data-dir and --glove, or --demo")
    # quick: 32 reviews of 16 tokens, one tile of the CPU's (32 sequences at 16
    # tokens) for every kernel, so each model compiles its kernels once
    default = 32 if args.quick else 200 if args.demo else 1000
    max_len = args.max_len or (16 if args.quick else 64)
    n_train, n_test = args.n_train or default, args.n_test or default

    with tempfile.TemporaryDirectory() as scratch:
        data_dir, glove = (write_demo_data(scratch, max(n_train, n_test)) if args.demo
                           else (args.data_dir, args.glove))
        train_texts, y_train = load_imdb(data_dir, "train", n_train, seed=0)
        test_texts, y_test = load_imdb(data_dir, "test", n_test, seed=1)
        start = time.perf_counter()
        table = load_glove(glove, vocabulary=vocabulary(train_texts + test_texts))
        print(f"{len(train_texts)} training and {len(test_texts)} test reviews; "
              f"{len(table)} of their words have vectors "
              f"(read in {time.perf_counter() - start:.1f} s)")

    # Sentiment labels are noisy functions of the words: a larger alpha (the
    # observation noise) than the default 1e-6 regularises, as in kernel ridge
    # regression. Choose it by cross-validation on real data.
    networks = {"transformer": dict(n_blocks=1, positional="sum", val_pos_emb=False),
                "paper": dict(architecture=paper_imdb())}
    if args.architecture != "both":
        networks = {args.architecture: networks[args.architecture]}

    def attention(model):
        return make_pipeline(TokenEmbedder(table, token_pattern=TOKEN_PATTERN, dtype="float32"),
                             SequencePadder(max_len=max_len, dtype="float32"), model)

    def mean_vector(docs):
        return np.stack([d.mean(axis=0) for d in docs])

    models = {}
    for network, params in networks.items():
        for kind, model in (("NNGP", AttentionNNGPClassifier), ("NTK", AttentionNTKClassifier)):
            models[f"{kind} {network}"] = attention(
                model(**params, alpha=args.alpha, dtype="float32"))
    models.update({
        "mean GloVe vector + LogReg": make_pipeline(
            TokenEmbedder(table, token_pattern=TOKEN_PATTERN), FunctionTransformer(mean_vector),
            LogisticRegression(max_iter=1000)),
        "TF-IDF + LogReg": make_pipeline(
            TfidfVectorizer(token_pattern=TOKEN_PATTERN), LogisticRegression(max_iter=1000)),
    })
    scores = {}
    for name, model in models.items():
        start = time.perf_counter()
        scores[name] = model.fit(train_texts, y_train).score(test_texts, y_test)
        print(f"{name:<28} accuracy {scores[name]:.3f}  ({time.perf_counter() - start:.1f} s)")

    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.45 * len(scores)))
    names = list(scores)[::-1]
    colours = {"NNGP": "tab:blue", "NTK": "tab:cyan"}
    ax.barh(names, [scores[n] for n in names],
            color=[colours.get(n.split()[0], "tab:gray") for n in names])
    for k, name in enumerate(names):
        ax.text(scores[name] - 0.01, k, f"{scores[name]:.3f}", va="center", ha="right",
                color="white", fontsize=9)
    ax.set_xlim(0.5, 1.0)
    source = "synthetic demo corpus" if args.demo else "IMDb"
    ax.set_xlabel(f"test accuracy ({len(test_texts)} reviews, {source})")
    ax.set_title(f"Sentiment from word vectors, {len(train_texts)} training reviews, "
                 f"max_len={max_len}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, args.out, "imdb_sentiment_demo.png" if args.demo else "imdb_sentiment.png")


if __name__ == "__main__":
    main()
