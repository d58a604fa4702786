"""Padded sequence arrays -> (token values, token mask), with the input errors.

A batch of sequences is a float array of shape ``(n, L, d)``: ``n`` sequences of
``L`` token positions with ``d`` features each.  A token whose features are all
NaN is padding.  A 2-D array ``(n, L)`` means ``L`` tokens of one feature.
"""

import numpy as np


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
    values : ndarray of shape (n, L, d)
        ``X`` with padding tokens set to zero.
    token_mask : ndarray of bool, shape (n, L)
        True where a real token stands.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D or 3-D, is empty, holds inf, has a token with only
        some NaN features, or a sequence made only of padding.
    """
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
    return np.where(np.isnan(X), 0, X), token_mask


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
