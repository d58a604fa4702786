"""Turn variable-length sequences into the NaN-padded 3-D arrays of skattn.

Every estimator downstream of this module reads a float array of shape
``(n_samples, seq_len, n_token_features)`` in which a *padding token* has all its
features NaN and a *real token* has none. The same reading of inputs is shared by
both transformers here:

- a list (or tuple) of sequences, each an array-like of shape ``(len_i, d)`` or
  ``(len_i,)`` (one feature per token);
- a 2-D array ``(n_samples, seq_len)``: ``seq_len`` one-feature tokens per sample;
- a 3-D array ``(n_samples, seq_len, d)``.

All-NaN tokens in any input are padding. Problems with the array as a whole (sparse,
complex, 1-D, no samples) are reported in scikit-learn's wording; problems with one
token name its sample and position.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions, Interval
from sklearn.utils.validation import check_array, check_is_fitted

from ._inputs import channels_first_hint, check_tokens

__all__ = ["SequencePadder", "SequenceScaler"]


def _as_float(values, dtype, where):
    """Convert an array to float, naming the first value that is not a number.

    ``where(index)`` turns an index into ``values`` into a "Sample i, position j"
    prefix. What ``float()`` accepts is a number (numeric strings included, as in
    numpy). Numpy's exception type is kept: ValueError for strings that are not
    numbers, TypeError for other objects (dicts, None).
    """
    if np.iscomplexobj(values):
        raise ValueError("Complex data not supported; pass real-valued tokens.")
    if dtype is None:
        dtype = np.float32 if values.dtype == np.float32 else np.float64
    try:
        return values.astype(dtype, copy=False)
    except (TypeError, ValueError) as exc:
        for index in np.ndindex(values.shape):
            value = values[index]
            value = value.item() if isinstance(value, np.generic) else value
            try:
                float(value)
            except (TypeError, ValueError):
                raise type(exc)(
                    f"{where(index)}: non-numeric value {value!r} ({exc})."
                ) from exc
        raise


def _sequence_as_2d(sequence, i, dtype):
    """One sequence of a list input as a float array of shape (len_i, d)."""

    def where(index):
        return f"Sample {i}, position {index[0]}"

    try:
        values = np.asarray(sequence)
    except ValueError as exc:  # tokens of different lengths
        sizes = [np.size(token) for token in sequence]
        j = next((j for j, size in enumerate(sizes) if size != sizes[0]), None)
        if j is None:
            raise ValueError(f"Sample {i} is not an array of tokens: {exc}") from exc
        raise ValueError(
            f"{where((j,))}: token has {sizes[j]} features but position 0 has "
            f"{sizes[0]}; all tokens of a sequence need the same features."
        ) from exc
    if values.ndim not in (1, 2):
        raise ValueError(
            f"Sample {i} has shape {values.shape}; a sequence must have shape "
            "(len_i,) or (len_i, n_token_features). Reshape your data."
        )
    if values.size == 0:
        raise ValueError(f"Sample {i} is empty; a sequence needs at least one token.")
    values = _as_float(values, dtype, where)
    return values[:, None] if values.ndim == 1 else values


def _read_list(X, dtype):
    """A list of sequences as a 3-D array padded at the end, and each one's d."""
    if len(X) == 0:
        raise ValueError("Found 0 sequences while a minimum of 1 is required.")
    sequences = [_sequence_as_2d(seq, i, dtype) for i, seq in enumerate(X)]
    d_all = [seq.shape[1] for seq in sequences]
    shape = (len(X), max(map(len, sequences)), max(d_all))
    values = np.full(shape, np.nan, dtype=np.result_type(*sequences))
    for i, seq in enumerate(sequences):
        values[i, : len(seq), : seq.shape[1]] = seq
    return values, d_all


def _read_array(X, dtype, estimator):
    """A 2-D or 3-D array-like as a 3-D float array, and each sample's d."""
    X = check_array(
        X, dtype=None, ensure_all_finite=False, allow_nd=True, estimator=estimator
    )
    if X.ndim > 3:
        raise ValueError(
            f"X has shape {X.shape}; expected (n_samples, seq_len) or "
            "(n_samples, seq_len, n_token_features). Reshape your data."
        )
    if X.ndim == 3 and X.shape[2] == 0:
        raise ValueError(f"X has shape {X.shape}: tokens with 0 features.")
    values = _as_float(X, dtype, lambda idx: f"Sample {idx[0]}, position {idx[1]}")
    values = values[:, :, None] if X.ndim == 2 else values
    return values, [values.shape[2]] * len(values)


def _channels_last(X):
    """Series stored ``(n_channels, n_timepoints)`` as ``(n_timepoints, n_channels)`` tokens.

    A list's 2-D items and a 3-D array's last two axes are swapped; 1-D
    sequences and 2-D arrays (one channel per sample) are already tokens. An
    item numpy cannot read is left for the checks to name.
    """
    if isinstance(X, (list, tuple)):
        def swapped(sequence):
            try:
                values = np.asarray(sequence)
            except ValueError:
                return sequence
            return values.T if values.ndim == 2 else sequence

        return [swapped(sequence) for sequence in X]
    values = np.asarray(X)
    return np.swapaxes(values, 1, 2) if values.ndim == 3 else X


def _check_sequences(X, *, dtype=None, n_token_features=None, estimator=None):
    """Validate any accepted input and return it as a NaN-padded 3-D float array.

    Parameters
    ----------
    X : list of array-like, or array-like of shape (n, L) or (n, L, d)
        The sequences, read as described in the module docstring.
    dtype : {"float64", "float32"} or None, default=None
        Output dtype; None keeps float32 and turns everything else into float64.
    n_token_features : int or None, default=None
        The feature count every token must have (the one seen in fit), or None.
    estimator : estimator or None, default=None
        Named in the error messages.

    Returns
    -------
    values : ndarray of shape (n, L, d)
        The tokens; a list input is padded at the end to its longest sequence.
    token_mask : ndarray of bool of shape (n, L)
        True for the real tokens.
    """
    if isinstance(X, (list, tuple)):
        values, d_all = _read_list(X, dtype)
    else:
        values, d_all = _read_array(X, dtype, estimator)

    expected = d_all[0] if n_token_features is None else n_token_features
    for i, d in enumerate(d_all):
        if d != expected:
            fitted = f"{type(estimator).__name__} was fitted on"
            source = "sample 0 has" if n_token_features is None else fitted
            hint = (channels_first_hint([np.shape(x) for x in X])
                    if isinstance(X, (list, tuple)) else "")
            raise ValueError(
                f"Sample {i} has tokens with {d} features, but {source} tokens "
                f"with {expected} features.{hint}"
            )

    return values, check_tokens(values, "X")


class SequencePadder(TransformerMixin, BaseEstimator):
    """Pad variable-length sequences with NaN tokens into one 3-D array.

    The output has shape ``(n_samples, max_len_, n_token_features_)``; a padding
    token has all its features NaN, which is the padding format of
    :mod:`skattn.kernels`. Padding tokens already in the input (all-NaN tokens,
    wherever they are) are dropped first, so padding an already padded array with
    the same parameters returns it unchanged.

    Parameters
    ----------
    max_len : int or None, default=None
        Length of the output sequences. None learns it in `fit` as the longest
        sequence (counting real tokens only).
    padding : {"post", "pre"}, default="post"
        Whether padding tokens go after ("post") or before ("pre") the real tokens.
    truncating : {"post", "pre"}, default="post"
        Which end of a sequence longer than ``max_len_`` is cut in `transform`:
        "post" keeps the first ``max_len_`` tokens, "pre" keeps the last.
    dtype : {"float64", "float32"}, default="float64"
        The output dtype.
    channels_first : bool, default=False
        Read each sequence as ``(n_channels, n_timepoints)``, the layout in which
        aeon and sktime store series (``load_classification`` returns a 3-D array
        ``(n_cases, n_channels, n_timepoints)``, or a list of such 2-D arrays when
        the lengths differ): time steps become the tokens and channels their
        features. False reads ``(n_tokens, n_token_features)``.

    Attributes
    ----------
    max_len_ : int
        The output sequence length.
    n_token_features_ : int
        Number of features per token seen in `fit`; `transform` requires the same.

    Notes
    -----
    Inputs are a list of sequences of shape ``(len_i, d)`` or ``(len_i,)``, a 2-D
    array ``(n_samples, seq_len)`` of one-feature tokens, or a 3-D array
    ``(n_samples, seq_len, d)``. scikit-learn's ``n_features_in_`` is not set:
    these inputs have no fixed number of columns (sequence length varies by
    design), and the per-token feature count is ``n_token_features_``.

    Errors name the sample and position of the first offending token: a token
    with only some features NaN, an inf value, a non-numeric value, a feature
    count different from `fit`; and the sample of an empty sequence.

    Examples
    --------
    >>> from skattn.preprocessing import SequencePadder
    >>> padder = SequencePadder(padding="pre").fit([[1.0, 2.0, 3.0], [4.0]])
    >>> padder.max_len_, padder.n_token_features_
    (3, 1)
    >>> padder.transform([[5.0, 6.0, 7.0, 8.0], [9.0]])[..., 0]
    array([[ 5.,  6.,  7.],
           [nan, nan,  9.]])
    """

    _parameter_constraints = {
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "padding": [StrOptions({"post", "pre"})],
        "truncating": [StrOptions({"post", "pre"})],
        "dtype": [StrOptions({"float64", "float32"})],
        "channels_first": ["boolean"],
    }

    def __init__(
        self, *, max_len=None, padding="post", truncating="post", dtype="float64",
        channels_first=False,
    ):
        self.max_len = max_len
        self.padding = padding
        self.truncating = truncating
        self.dtype = dtype
        self.channels_first = channels_first

    def _read(self, X, **checks):
        """``X`` as a NaN-padded 3-D float array and its token mask."""
        if self.channels_first:
            X = _channels_last(X)
        return _check_sequences(X, dtype=self.dtype, estimator=self, **checks)

    def fit(self, X, y=None):
        """Learn the token feature count and, if not given, the output length.

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n, L) or (n, L, d)
            The training sequences.
        y : None
            Ignored.

        Returns
        -------
        self : SequencePadder
            The fitted transformer.
        """
        self._validate_params()
        values, token_mask = self._read(X)
        longest = int(token_mask.sum(axis=1).max())
        self.max_len_ = longest if self.max_len is None else self.max_len
        self.n_token_features_ = values.shape[2]
        return self

    def transform(self, X):
        """Pad (and truncate) each sequence to ``max_len_`` tokens.

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n, L) or (n, L, d)
            The sequences.

        Returns
        -------
        X_padded : ndarray of shape (n, max_len_, n_token_features_)
            The real tokens of each sequence, in order, with all-NaN padding tokens.
        """
        check_is_fitted(self)
        values, token_mask = self._read(X, n_token_features=self.n_token_features_)
        out = np.full((len(values), self.max_len_, values.shape[2]), np.nan, self.dtype)
        for i, mask in enumerate(token_mask):
            tokens = values[i, mask]
            if self.truncating == "post":
                tokens = tokens[: self.max_len_]
            else:
                tokens = tokens[-self.max_len_ :]
            start = 0 if self.padding == "post" else self.max_len_ - len(tokens)
            out[i, start : start + len(tokens)] = tokens
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.three_d_array = True
        # The output dtype is the `dtype` parameter, so only that one is preserved.
        tags.transformer_tags.preserves_dtype = [str(self.dtype)]
        return tags


def _mean_and_scale(tokens):
    """Mean and standard deviation of each column, near-constant columns scaled by 1.

    As scikit-learn's ``StandardScaler``: a variance within the rounding error
    bound of the two-pass algorithm (``n eps var + (n mean eps)^2``; Chan,
    Golub & LeVeque) is a constant feature, and so is a scale below
    ``10 eps``. The columns are first divided by their largest magnitude, so
    that values near ``1e200`` do not overflow when squared.
    """
    n, eps = len(tokens), np.finfo(np.float64).eps
    peak = np.abs(tokens).max(axis=0)
    peak[peak == 0] = 1.0
    unit = tokens / peak
    mean = unit.mean(axis=0)
    var = ((unit - mean) ** 2).mean(axis=0)
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    scale = peak * np.sqrt(var)
    scale[constant | (scale < 10 * eps)] = 1.0
    return peak * mean, scale


class SequenceScaler(TransformerMixin, BaseEstimator):
    """Standardise each token feature over the real tokens of the training set.

    Padding tokens (all features NaN) are left out of the statistics and stay NaN
    in the output; real tokens keep their positions.

    Parameters
    ----------
    with_mean : bool, default=True
        Whether `transform` subtracts ``mean_``.
    with_std : bool, default=True
        Whether `transform` divides by ``scale_``.

    Attributes
    ----------
    mean_ : ndarray of shape (n_token_features_,)
        Mean of each feature over all real training tokens.
    scale_ : ndarray of shape (n_token_features_,)
        Standard deviation (ddof=0) of each feature over all real training tokens;
        1 for a feature that is constant, as in
        :class:`sklearn.preprocessing.StandardScaler`. Both statistics are
        computed whatever ``with_mean`` and ``with_std`` say.
    n_token_features_ : int
        Number of features per token seen in `fit`; `transform` requires the same.

    Notes
    -----
    Inputs are read as by :class:`SequencePadder` and the output is always 3-D,
    ``(n_samples, seq_len, n_token_features_)``: a 2-D array ``(n_samples,
    seq_len)`` holds one-feature tokens and comes out as ``(n_samples, seq_len,
    1)``; a list of sequences is padded at the end to its longest sequence.
    float32 input stays float32, other input becomes float64. ``n_features_in_``
    is not set, for the reason given in :class:`SequencePadder`.

    Examples
    --------
    >>> import numpy as np
    >>> from skattn.preprocessing import SequenceScaler
    >>> X = np.array([[0.0, 2.0], [0.0, np.nan], [2.0, np.nan]])
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_, scaler.scale_
    (array([1.]), array([1.]))
    >>> scaler.transform(X)[..., 0]
    array([[-1.,  1.],
           [-1., nan],
           [ 1., nan]])
    """

    _parameter_constraints = {"with_mean": ["boolean"], "with_std": ["boolean"]}

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        """Compute the mean and scale of each feature over the real tokens.

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n, L) or (n, L, d)
            The training sequences.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceScaler
            The fitted transformer.
        """
        self._validate_params()
        values, token_mask = _check_sequences(X, estimator=self)
        tokens = values[token_mask].astype(np.float64)  # (n_real_tokens, d)
        self.mean_, self.scale_ = _mean_and_scale(tokens)
        self.n_token_features_ = values.shape[2]
        return self

    def transform(self, X):
        """Standardise the real tokens; padding tokens stay NaN.

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n, L) or (n, L, d)
            The sequences.

        Returns
        -------
        X_scaled : ndarray of shape (n, L, n_token_features_)
            The standardised tokens.
        """
        check_is_fitted(self)
        values, _ = _check_sequences(
            X, n_token_features=self.n_token_features_, estimator=self
        )
        out = values.copy()
        if self.with_mean:
            out -= self.mean_.astype(out.dtype)
        if self.with_std:
            out /= self.scale_.astype(out.dtype)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
