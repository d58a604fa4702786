"""Pointwise nonlinearities of finite width: ``phi`` applied to every channel."""

import dataclasses

import jax

from ..kernels import Erf, Gelu, Identity, Relu
from ..kernels._activations import _Activation
from ._base import FiniteLayer, counterpart, sublayers

#: The function whose Gaussian expectations each kernel activation computes.
#: All map 0 to 0, so padding tokens stay zero.
FUNCTIONS = {
    Relu: jax.nn.relu,
    Erf: jax.scipy.special.erf,
    Gelu: lambda x: jax.nn.gelu(x, approximate=False),  # x * Phi(x)
    Identity: lambda x: x,
}


@dataclasses.dataclass(frozen=True)
class FiniteActivation(FiniteLayer):
    """``phi(x)`` channel by channel, ``phi`` the function of the kernel activation."""

    layer: _Activation = sublayers()

    def apply(self, params, x, mask):
        for cls in type(self.layer).__mro__:
            if cls in FUNCTIONS:
                return FUNCTIONS[cls](x)
        raise TypeError(f"{type(self.layer).__name__} has no finite-width function.")


@counterpart(_Activation)
def _activation(layer, sizes):
    if not any(cls in FUNCTIONS for cls in type(layer).__mro__):
        raise TypeError(f"{type(layer).__name__} has no finite-width counterpart.")
    return FiniteActivation(layer)

