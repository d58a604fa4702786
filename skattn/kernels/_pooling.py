"""Global average pooling over the real tokens of each sequence."""

import dataclasses

from ._base import Layer


@dataclasses.dataclass(frozen=True)
class GlobalAvgPool(Layer):
    """Mean over tokens, padding excluded.

    The pooled kernel is the mean of the token-level kernel over all pairs of
    real tokens: ``sum_{s,t} nngp[i, s, j, t] / (len_i * len_j)``.
    """

    def apply(self, state):
        if state.pooled:
            raise ValueError("GlobalAvgPool needs token-level kernels; "
                             "the tokens were already pooled.")
        n1 = state.mask1.sum(axis=1)
        n2 = state.mask2.sum(axis=1)
        pair = n1[:, None] * n2[None, :]
        return state._replace(
            nngp=state.nngp.sum(axis=(1, 3)) / pair,
            ntk=state.ntk.sum(axis=(1, 3)) / pair,
            cov1=state.cov1.sum(axis=(1, 2)) / n1**2,
            cov2=state.cov2.sum(axis=(1, 2)) / n2**2,
        )
