"""Global average pooling over the real tokens of each sequence."""

import dataclasses

from ._base import Layer


@dataclasses.dataclass(frozen=True)
class GlobalAvgPool(Layer):
    """Mean over tokens, padding excluded.

    The pooled kernel is the mean of the token-level kernel over all pairs of
    real tokens: ``sum_{s,t} nngp[i, s, j, t] / (len_i * len_j)``.
    """

    def apply(self, state, side1, side2):
        if state.pooled:
            raise ValueError("GlobalAvgPool needs token-level kernels; "
                             "the tokens were already pooled.")
        n1, n2 = state.mask1.sum(axis=1), state.mask2.sum(axis=1)
        pooled = state.with_kernels(state.token_sum(state.nngp), state.token_sum(state.ntk))
        left, right = pooled.broadcast(n1, n2)
        return pooled.with_kernels(pooled.nngp / (left * right), pooled.ntk / (left * right))
