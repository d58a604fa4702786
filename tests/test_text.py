"""TokenEmbedder and load_glove: look-ups, unknown tokens, errors, pipelines."""

import gzip
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from skattn import AttentionNNGPClassifier, SequencePadder
from skattn.text import TokenEmbedder, load_glove

TABLE = {"good": [1.0, 0.0], "bad": [-1.0, 0.0], "film": [0.0, 2.0]}


def test_lookup_of_strings_and_token_lists():
    emb = TokenEmbedder(TABLE).fit()
    docs = emb.transform(["Good FILM", ["bad", "film", "good"]])
    np.testing.assert_array_equal(docs[0], [[1, 0], [0, 2]])
    np.testing.assert_array_equal(docs[1], [[-1, 0], [0, 2], [1, 0]])
    assert emb.n_token_features_ == 2 and emb.vocabulary_["film"] == 2


@pytest.mark.parametrize("unknown, expected", [
    ("mean", [[0.0, 2 / 3], [1.0, 0.0]]),
    ("zero", [[0.0, 0.0], [1.0, 0.0]]),
    ("skip", [[1.0, 0.0]]),
])
def test_unknown_tokens(unknown, expected):
    emb = TokenEmbedder(TABLE, unknown=unknown).fit()
    np.testing.assert_allclose(emb.transform(["awful good"])[0], expected)


def test_unknown_error_and_empty_documents():
    with pytest.raises(KeyError, match="Document 1: token 'awful'"):
        TokenEmbedder(TABLE, unknown="error").fit().transform(["good", "awful"])
    with pytest.raises(ValueError, match="Document 0 has no token in the embedding table"):
        TokenEmbedder(TABLE, unknown="skip").fit().transform(["awful"])
    with pytest.raises(ValueError, match="Document 1 has no tokens"):
        TokenEmbedder(TABLE).fit().transform(["good", "!!"])
    with pytest.raises(TypeError, match="Document 0 is a int"):
        TokenEmbedder(TABLE).fit().transform([3])
    with pytest.raises(TypeError, match="not a single string"):
        TokenEmbedder(TABLE).fit().transform("good film")


def test_case_pattern_and_dtype():
    emb = TokenEmbedder({"Good": [1.0], "good": [2.0]}, lowercase=False,
                        token_pattern=r"\S+", dtype="float32").fit()
    out = emb.transform(["Good good"])[0]
    assert out.dtype == np.float32 and out.ravel().tolist() == [1.0, 2.0]


@pytest.mark.parametrize("table, message", [
    ({}, "empty"),
    ({"a": [1.0, 2.0], "b": [1.0]}, "all of one length"),
    ({"a": [[1.0]]}, "1-D vector"),
    ({"a": [np.nan]}, "'a' has NaN or inf"),
])
def test_bad_tables(table, message):
    with pytest.raises(ValueError, match=message):
        TokenEmbedder(table).fit()


def test_clone_pickle_and_table_untouched():
    table = {k: list(v) for k, v in TABLE.items()}
    emb = TokenEmbedder(table, unknown="zero").fit()
    again = pickle.loads(pickle.dumps(emb))
    np.testing.assert_array_equal(again.transform(["good x"])[0], emb.transform(["good x"])[0])
    assert clone(emb).get_params()["unknown"] == "zero"
    assert table == TABLE


def test_pipeline_to_an_estimator():
    rng = np.random.default_rng(0)
    words = ["good", "bad", "film"]
    docs = [" ".join(rng.choice(words, rng.integers(2, 7))) for _ in range(40)]
    labels = [int(d.count("good") > d.count("bad")) for d in docs]
    model = make_pipeline(TokenEmbedder(TABLE), SequencePadder(max_len=8),
                          AttentionNNGPClassifier(n_blocks=1, alpha=1e-3))
    model.fit(docs[:30], labels[:30])
    assert model.predict(docs[30:]).shape == (10,)
    assert model.score(docs[:30], labels[:30]) > 0.8


def test_load_glove_formats(tmp_path):
    lines = ["3 2", "the 0.1 0.2", "new york 1 2", "the 9 9", "", "film -1e-2 3"]
    path = tmp_path / "vectors.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = load_glove(path)
    assert list(table) == ["the", "new york", "film"]  # header skipped, first wins
    np.testing.assert_allclose(table["the"], [0.1, 0.2])
    assert table["film"].dtype == np.float32
    zipped = tmp_path / "vectors.txt.gz"
    with gzip.open(zipped, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines[1:]))
    small = load_glove(zipped, vocabulary=["film", "absent"], dtype="float64")
    assert list(small) == ["film"] and small["film"].dtype == np.float64


def test_load_glove_errors(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("a 1 2 3\nb 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: 2 fields"):
        load_glove(path)
    path.write_text("a 1 2\nb 1 x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        load_glove(path)
