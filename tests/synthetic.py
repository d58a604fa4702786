"""Small synthetic inputs shared by the tests."""

import dataclasses
import multiprocessing
import os

import jax
import numpy as np

from skattn.kernels import Layer, SelfAttention


def user_environ():
    """This process's environment with the ``XLA_FLAGS`` the test session started
    with: a child started with it compiles as the user's programs do, not with
    the tests' cheaper options (conftest.py)."""
    environ = dict(os.environ)
    if "SKATTN_USER_XLA_FLAGS" in environ:
        environ["XLA_FLAGS"] = environ["SKATTN_USER_XLA_FLAGS"]
    return environ


class Sandwiched(SelfAttention):
    """Self-attention that never takes the features route: it always sandwiches
    the kernels between the attention matrices (the reference for that route;
    a class of its own, so its programs are compiled apart)."""

    def _value_features(self, state):
        return None


def sandwiched(layer):
    """``layer`` with each of its :class:`SelfAttention` layers a :class:`Sandwiched`."""
    def swap(sub):
        if not isinstance(sub, SelfAttention):
            return sub
        return Sandwiched(**{f.name: getattr(sub, f.name) for f in dataclasses.fields(sub)})

    return jax.tree.map(swap, layer, is_leaf=lambda sub: isinstance(sub, SelfAttention))


def padded_sequences(rng, n, length, d, lengths=None):
    """Random sequences of the given lengths, NaN-padded at the end to ``length``."""
    X = rng.normal(size=(n, length, d))
    if lengths is None:
        lengths = rng.integers(1, length + 1, size=n)
    for i, n_tokens in enumerate(lengths):
        X[i, n_tokens:] = np.nan
    return X


def walked(layer, X):
    """The own pass's output state on ``X`` (all tokens real), traced as the
    engine's jitted pass traces it: shapes only, nothing compiled or run."""
    from skattn.kernels._state import input_state

    mask = np.ones(X.shape[:2], bool)
    return jax.eval_shape(lambda x, m: layer.walk(input_state(x, m))[0], X, mask)


def crossed(layer, X1, X2):
    """The pair pass's output state between ``X1`` and ``X2`` (all tokens real),
    traced as :func:`walked` traces the own pass."""
    from skattn.kernels._state import input_state

    def run(x1, x2):
        m1, m2 = np.ones(x1.shape[:2], bool), np.ones(x2.shape[:2], bool)
        s1, s2 = layer.walk(input_state(x1, m1))[1], layer.walk(input_state(x2, m2))[1]
        return layer.apply(input_state(x1, m1, x2, m2), s1, s2)

    return jax.eval_shape(run, X1, X2)


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
