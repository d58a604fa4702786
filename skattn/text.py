"""Text as sequences of word vectors: the input of the attention estimators.

A document becomes one token per word, each token the word's vector in a
pre-trained embedding table (for example GloVe, Pennington et al. 2014), as in
the IMDb experiment of Hron et al. (2020). :class:`TokenEmbedder` does the
look-up and returns one ``(n_tokens, d)`` array per document;
:class:`~skattn.preprocessing.SequencePadder` then pads them into the NaN-padded
3-D array the estimators read::

    make_pipeline(TokenEmbedder(load_glove("glove.6B.50d.txt")),
                  SequencePadder(max_len=100), AttentionNNGPClassifier())
"""

import gzip
import re
from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

__all__ = ["TokenEmbedder", "load_glove"]


def load_glove(path, *, vocabulary=None, dtype="float32"):
    """Read word vectors from a text file in GloVe's format.

    Each line is a word followed by its vector, separated by single spaces
    (``the 0.418 0.24968 -0.41242 ...``). A first line of exactly two integers
    (word2vec's text header: word count and dimension) is skipped. The vector
    length is read from the first vector line; a word may itself contain
    spaces (as in ``glove.840B.300d.txt``): the last ``d`` fields are the vector.

    Parameters
    ----------
    path : str or path-like
        The text file; a name ending in ``.gz`` is read through gzip.
    vocabulary : iterable of str or None, default=None
        Keep only these words (compared exactly, so lowercase them as the
        table is). The full GloVe tables have 400,000 to 2.2 million words; the
        words of a corpus are far fewer.
    dtype : {"float32", "float64"}, default="float32"
        The vectors' dtype.

    Returns
    -------
    dict of str to ndarray of shape (d,)
        The table, in the file's order; the first occurrence of a word wins.

    Raises
    ------
    ValueError
        If a line has fewer than ``d + 1`` fields or a field is not a number.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "vectors.txt")
    >>> with open(path, "w", encoding="utf-8") as f:
    ...     _ = f.write("good 1.0 0.5\\nbad -1.0 0.5\\nfilm 0.0 1.0\\n")
    >>> table = load_glove(path, vocabulary={"good", "bad"})
    >>> sorted(table), table["bad"]
    (['bad', 'good'], array([-1. ,  0.5], dtype=float32))
    """
    keep = None if vocabulary is None else set(vocabulary)
    opener = gzip.open if str(path).endswith(".gz") else open
    table = {}
    dim = None
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            fields = line.rstrip("\n").rstrip(" ").split(" ")
            if len(fields) < 2:
                continue  # blank line
            if number == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
                continue  # word2vec header "n_words dim"
            if dim is None:
                dim = len(fields) - 1
            if len(fields) < dim + 1:
                raise ValueError(
                    f"{path}, line {number}: {len(fields)} fields, but a word and "
                    f"{dim} numbers were expected (from the first vector line)."
                )
            word = " ".join(fields[:-dim])
            if (keep is not None and word not in keep) or word in table:
                continue
            try:
                table[word] = np.array(fields[-dim:], dtype=dtype)
            except ValueError as exc:
                raise ValueError(f"{path}, line {number}: {exc}.") from exc
    return table


class TokenEmbedder(TransformerMixin, BaseEstimator):
    """Turn documents into sequences of word vectors from an embedding table.

    Each document, a list of tokens or a string (split into words by
    ``token_pattern``), becomes an array of shape ``(n_tokens, d)``: one row per
    token, the token's vector in ``embeddings``. The output is a list of such
    arrays, of different lengths; pad it with
    :class:`~skattn.preprocessing.SequencePadder` (which also truncates long
    documents) before an estimator.

    Parameters
    ----------
    embeddings : dict of str to array-like of shape (d,)
        The embedding table, e.g. from :func:`load_glove`. It is not modified.
    unknown : {"mean", "zero", "skip", "error"}, default="mean"
        What a token missing from the table becomes: the mean of all the
        table's vectors (a typical word), a vector of zeros (a token the
        kernel cannot tell apart from any other unknown one and that has no
        variance of its own), nothing (the token is dropped), or a
        ``KeyError``.
    lowercase : bool, default=True
        Lowercase the tokens before the look-up (GloVe's tables are lowercase).
    token_pattern : str, default=r"[\\w']+"
        Regular expression whose matches are the tokens of a string document.
        Documents given as lists of tokens are not split again.
    dtype : {"float64", "float32"}, default="float64"
        The dtype of the output vectors.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Row of each token in ``embedding_matrix_``.
    embedding_matrix_ : ndarray of shape (n_words, d)
        The table as a matrix.
    unknown_vector_ : ndarray of shape (d,)
        The vector of a missing token under ``unknown="mean"`` or ``"zero"``.
    n_token_features_ : int
        The vector length ``d``.

    Notes
    -----
    A document with no tokens, or none left after ``unknown="skip"``, raises a
    ``ValueError`` naming it: an empty sequence has no kernel.

    Examples
    --------
    >>> from skattn.text import TokenEmbedder
    >>> table = {"good": [1.0, 0.0], "film": [0.0, 1.0]}
    >>> emb = TokenEmbedder(table).fit(None)
    >>> [doc.shape for doc in emb.transform(["A good film!", ["good"]])]
    [(3, 2), (1, 2)]
    >>> emb.transform(["A good film!"])[0]  # "a" is unknown: the mean vector
    array([[0.5, 0.5],
           [1. , 0. ],
           [0. , 1. ]])
    """

    _parameter_constraints = {
        "embeddings": [Mapping],
        "unknown": [StrOptions({"mean", "zero", "skip", "error"})],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "dtype": [StrOptions({"float64", "float32"})],
    }

    def __init__(self, embeddings, *, unknown="mean", lowercase=True,
                 token_pattern=r"[\w']+", dtype="float64"):
        self.embeddings = embeddings
        self.unknown = unknown
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.dtype = dtype

    def fit(self, X=None, y=None):
        """Check the embedding table and store it as a matrix.

        Parameters
        ----------
        X : list of (str or list of str), or None
            Ignored: the table alone defines the transform.
        y : None
            Ignored.

        Returns
        -------
        self : TokenEmbedder
            The fitted transformer.
        """
        self._validate_params()
        if len(self.embeddings) == 0:
            raise ValueError("The embedding table is empty; give at least one word.")
        words = list(self.embeddings)
        try:
            matrix = np.stack([np.asarray(self.embeddings[w], dtype=np.float64)
                               for w in words])
        except ValueError as exc:
            sizes = {np.size(self.embeddings[w]) for w in words}
            raise ValueError(
                f"The embedding vectors must be numbers, all of one length; got "
                f"lengths {sorted(sizes)} ({exc})."
            ) from exc
        if matrix.ndim != 2:
            raise ValueError(
                f"Each embedding must be a 1-D vector; got vectors of shape "
                f"{matrix.shape[1:]}."
            )
        if not np.isfinite(matrix).all():
            word = words[int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])]
            raise ValueError(f"The embedding of {word!r} has NaN or inf values.")
        self.vocabulary_ = {w: i for i, w in enumerate(words)}
        self.embedding_matrix_ = matrix.astype(self.dtype)
        unknown = matrix.mean(axis=0) if self.unknown == "mean" else np.zeros(matrix.shape[1])
        self.unknown_vector_ = unknown.astype(self.dtype)
        self.n_token_features_ = matrix.shape[1]
        return self

    def _tokens(self, document, i):
        if isinstance(document, str):
            tokens = re.findall(self.token_pattern, document)
        elif isinstance(document, (list, tuple)) and all(isinstance(t, str) for t in document):
            tokens = list(document)
        else:
            raise TypeError(
                f"Document {i} is a {type(document).__name__}; a document must be a "
                "string or a list of string tokens."
            )
        return [t.lower() for t in tokens] if self.lowercase else tokens

    def transform(self, X):
        """Look up every token of every document.

        Parameters
        ----------
        X : list of (str or list of str)
            The documents.

        Returns
        -------
        list of ndarray of shape (n_tokens_i, d)
            One array per document, its tokens' vectors in order.
        """
        check_is_fitted(self)
        if isinstance(X, str):
            raise TypeError("X must be a list of documents, not a single string.")
        out = []
        for i, document in enumerate(X):
            rows = []
            for token in self._tokens(document, i):
                row = self.vocabulary_.get(token)
                if row is not None:
                    rows.append(self.embedding_matrix_[row])
                elif self.unknown == "error":
                    raise KeyError(
                        f"Document {i}: token {token!r} is not in the embedding table. "
                        "Use unknown='mean', 'zero' or 'skip' to accept unknown tokens."
                    )
                elif self.unknown != "skip":
                    rows.append(self.unknown_vector_)
            if not rows:
                what = "no token in the embedding table" if self.unknown == "skip" \
                    else "no tokens"
                raise ValueError(
                    f"Document {i} has {what}; an empty sequence has no kernel. "
                    "Drop it, or use unknown='mean' to keep unknown words."
                )
            out.append(np.stack(rows))
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags
