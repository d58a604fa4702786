"""Layer normalisation over channels."""

import dataclasses

import jax.numpy as jnp

from ._base import Layer, hyperparameter


@dataclasses.dataclass(frozen=True)
class LayerNorm(Layer):
    """Normalise each token over its (infinitely many) channels.

    In the limit every token's activations are divided by their standard
    deviation, so each kernel entry is divided by the two tokens' standard
    deviations (Hron et al. 2020, sec. 3; neural-tangents ``stax.LayerNorm``)::

        nngp'[s, t] = nngp[s, t] / sqrt((eps + q1[s]) (eps + q2[t]))

    The input must be Gaussian (put it after a Dense, an attention layer or a
    residual sum of those).  Padding tokens have zero variance and stay zero.

    Parameters
    ----------
    eps : float, default=1e-12
        Added to the variances, as in neural-tangents.
    """

    keeps_features = True

    eps: float = hyperparameter(1e-12)

    def side(self, own):
        """``1 / sqrt(eps + q)`` for every token."""
        return 1 / jnp.sqrt(self.eps + own.variances())

    def apply(self, state, side1, side2):
        left, right = state.broadcast(side1, side2)
        scale = left * right
        features = state.features
        if features is not None:
            features = features._replace(left=features.left * side1[..., None],
                                         right=features.right * side2[..., None])
        return state.with_kernels(state.nngp * scale, state.ntk * scale, features)
