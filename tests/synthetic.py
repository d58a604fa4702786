"""Small synthetic inputs shared by the tests."""

import dataclasses
import multiprocessing
import os

import numpy as np

from skattn.kernels import Layer


def padded_sequences(rng, n, length, d, lengths=None):
    """Random sequences of the given lengths, NaN-padded at the end to ``length``."""
    X = rng.normal(size=(n, length, d))
    if lengths is None:
        lengths = rng.integers(1, length + 1, size=n)
    for i, n_tokens in enumerate(lengths):
        X[i, n_tokens:] = np.nan
    return X


@dataclasses.dataclass(frozen=True)
class DieOnceInWorker(Layer):
    """A pass-through layer that kills the worker process tracing it, once.

    ``marker`` is a file path: the first worker to trace the layer creates it
    and exits; later traces (and the main process) pass through.
    """

    marker: str = ""

    def apply(self, state, side1, side2):
        if multiprocessing.parent_process() is not None and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)
        return state
