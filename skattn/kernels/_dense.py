"""Fully connected layer in the NTK parameterisation."""

import dataclasses

from ._base import Layer, hyperparameter
from ._state import with_bias


@dataclasses.dataclass(frozen=True)
class Dense(Layer):
    """Dense layer ``z = w_std / sqrt(fan_in) * W x + b_std * b`` over channels.

    Kernel map (Jacot et al. 2018; neural-tangents ``stax.Dense``)::

        nngp' = w_std**2 * nngp + b_std**2
        ntk'  = nngp' + w_std**2 * ntk

    Parameters
    ----------
    w_std : float, default=1.0
        Standard deviation of the weights.
    b_std : float, default=0.0
        Standard deviation of the biases.
    """

    keeps_features = True

    w_std: float = hyperparameter(1.0)
    b_std: float = hyperparameter(0.0, zero_is_structure=True)

    def apply(self, state, side1, side2):
        w2, b = self.w_std**2, self.nonzero("b_std")
        nngp = w2 * state.nngp + state.bias(b)
        features = state.features
        if features is not None:  # ntk' = nngp' + w2 ntk, column by column
            features = with_bias(self.w_std * features.left, self.w_std * features.right,
                                 1 + features.weights, b, state.mask1, state.mask2)
        return state.with_kernels(nngp, nngp + w2 * state.ntk, features)
