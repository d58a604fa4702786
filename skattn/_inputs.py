"""Padded sequence arrays -> (token values, token mask), with the input errors.

A batch of sequences is a float array of shape ``(n, L, d)``: ``n`` sequences of
``L`` token positions with ``d`` features each.  A token whose features are all
NaN is padding.  A 2-D array ``(n, L)`` means ``L`` tokens of one feature.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse


class Sequences(NamedTuple):
    """A validated padded batch: what :func:`as_sequences` returns.

    ``values`` ``(n, L, d)`` with padding tokens set to 0, ``mask`` ``(n, L)``
    True where a real token stands.  Code that receives one (the kernel
    engine, from an estimator's kept pass) trusts it and checks nothing again.
    """

    values: np.ndarray
    mask: np.ndarray


def as_sequences(X, name="X", dtype=None):
    """Validate a padded batch and return ``(values, token_mask)``.

    Parameters
    ----------
    X : array-like of shape (n, L, d) or (n, L)
        Sequences padded with all-NaN tokens.
    name : str
        The argument's name, used in error messages.
    dtype : dtype or None
        Floating dtype of the returned values. None keeps float32 as float32
        and turns everything else into float64.

    Returns
    -------
    Sequences
        ``(values, token_mask)``: ``X`` of shape ``(n, L, d)`` with padding
        tokens set to zero, and a bool ``(n, L)`` array, True where a real
        token stands.  A :class:`Sequences` given as ``X`` is returned as it
        is (cast to ``dtype`` if one is given).

    Raises
    ------
    ValueError
        If ``X`` is not 2-D or 3-D, is empty, holds inf, has a token with only
        some NaN features, or a sequence made only of padding.
    """
    if isinstance(X, Sequences):  # validated before
        return X if dtype is None else Sequences(X.values.astype(dtype, copy=False), X.mask)
    reject_ragged(X, name)
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers; got an array of dtype {X.dtype}.")
    if dtype is None:
        dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = X.astype(dtype, copy=False)
    if X.ndim == 2:
        X = X[:, :, None]
    if X.ndim != 3:
        raise ValueError(
            f"{name} must have shape (n_samples, n_tokens, n_features) or "
            f"(n_samples, n_tokens); got an array of shape {X.shape}. "
            "Use skattn.SequencePadder to pad a list of variable-length sequences."
        )
    n, length, width = X.shape
    if n == 0 or length == 0 or width == 0:
        raise ValueError(f"{name} is empty: got shape {X.shape}.")

    token_mask = check_tokens(X, name)
    return Sequences(np.where(np.isnan(X), 0, X), token_mask)


def channels_first_hint(shapes):
    """A sentence naming ``SequencePadder(channels_first=True)`` (with a leading
    space) if 2-D sequences of these shapes differ only in their second axis,
    else "".

    That is how a list of series stored ``(n_channels, n_timepoints)`` (aeon's
    unequal-length data) looks when it is read as ``(n_tokens, n_features)``.
    """
    if (all(len(shape) == 2 for shape in shapes)
            and len({shape[0] for shape in shapes}) == 1
            and len({shape[1] for shape in shapes}) > 1):
        return (" If each sample is (n_channels, n_timepoints), as aeon and sktime store "
                "series, read it with SequencePadder(channels_first=True).")
    return ""


def reject_ragged(X, name="X"):
    """Raise a ValueError naming ``SequencePadder`` if ``X`` is a ragged list of sequences.

    numpy would say only "inhomogeneous shape". A list (or tuple) whose items
    have different shapes is sequences of different lengths: the estimators and
    kernels read one padded array, which :class:`skattn.SequencePadder` makes.
    """
    if not isinstance(X, (list, tuple)) or not X:
        return
    shapes = []
    for i, sequence in enumerate(X):
        try:
            shapes.append(np.shape(sequence))
        except ValueError:
            raise ValueError(
                f"{name}: sample {i} has tokens with different numbers of features; "
                "all tokens need the same features."
            ) from None
    i = next((i for i, shape in enumerate(shapes) if shape != shapes[0]), None)
    if i is not None:
        raise ValueError(
            f"{name} is a list of sequences of different lengths (sample 0 has shape "
            f"{shapes[0]}, sample {i} has shape {shapes[i]}), but a model needs one "
            "array padded with all-NaN tokens. Pad them with skattn.SequencePadder, "
            "for instance make_pipeline(SequencePadder(), SequenceScaler(), model); "
            "such a pipeline takes the list in fit, predict and GridSearchCV."
            + channels_first_hint(shapes)
        )


def check_tokens(X, name="X"):
    """Check the tokens of a NaN-padded float array ``(n, L, d)``; return the token mask.

    Raises a ValueError naming the sample and position of the first token with
    only some NaN features or with an inf, or the first sequence with no tokens.
    """
    nan = np.isnan(X)
    padding = nan.all(axis=-1)
    partial = nan.any(axis=-1) & ~padding
    if partial.any():
        i, t = np.argwhere(partial)[0]
        raise ValueError(
            f"{name}: sample {i}, position {t} has NaN in some but not all of its "
            f"{X.shape[-1]} features. A padding token must have all its features NaN."
        )
    inf = np.isinf(X)
    if inf.any():
        i, t, _ = np.argwhere(inf)[0]
        raise ValueError(f"{name}: sample {i}, position {t} contains inf.")
    empty = padding.all(axis=1)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise ValueError(
            f"{name}: sample {i} has no tokens (every position is NaN padding)."
        )
    return ~padding


def as_float(X, dtype, name="X"):
    """``X`` as a dense array of ``dtype``; values beyond its range are an error.

    Casting float64 values above ``3.4e38`` to float32 would silently give inf,
    which the token checks would then report as if the user had given it.

    Raises
    ------
    TypeError
        If ``X`` is a scipy sparse matrix.
    ValueError
        Naming the sample and position of the first value too large for ``dtype``.
    """
    if scipy.sparse.issparse(X):
        raise TypeError(
            f"{name} is a sparse matrix, but sequences are dense arrays padded with "
            f"all-NaN tokens. Convert it with {name}.toarray()."
        )
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers; got an array of dtype {X.dtype}.")
    with np.errstate(over="ignore"):
        cast = X.astype(dtype, copy=False)
    if X.dtype.kind == "f" and X.dtype.itemsize > cast.dtype.itemsize:
        overflow = np.isinf(cast) & np.isfinite(X)
        if overflow.any():
            i, t, *_ = np.argwhere(overflow)[0]
            raise ValueError(
                f"{name}: sample {i}, position {t} holds a value of magnitude "
                f"{np.abs(X[i, t]).max():.3g}, beyond the range of {np.dtype(dtype)} "
                f"(largest {np.finfo(dtype).max:.3g}). Scale the inputs (e.g. with "
                "skattn.SequenceScaler) or use dtype='float64'."
            )
    return cast
