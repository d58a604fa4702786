"""Layer normalisation over channels."""

import dataclasses

import jax.numpy as jnp

from ._base import Layer


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

    eps: float = 1e-12

    def apply(self, state):
        pair12, pair11, pair22 = state.variance_pairs()

        def scale(pair):
            left, right = pair
            return 1 / jnp.sqrt((self.eps + left) * (self.eps + right))

        s12 = scale(pair12)
        return state._replace(
            nngp=state.nngp * s12,
            ntk=state.ntk * s12,
            cov1=state.cov1 * scale(pair11),
            cov2=state.cov2 * scale(pair22),
        )
