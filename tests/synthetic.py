"""Small synthetic inputs shared by the tests."""

import numpy as np


def padded_sequences(rng, n, length, d, lengths=None):
    """Random sequences of the given lengths, NaN-padded at the end to ``length``."""
    X = rng.normal(size=(n, length, d))
    if lengths is None:
        lengths = rng.integers(1, length + 1, size=n)
    for i, n_tokens in enumerate(lengths):
        X[i, n_tokens:] = np.nan
    return X
