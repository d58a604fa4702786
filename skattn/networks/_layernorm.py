"""Layer normalisation of finite width."""

import dataclasses

import jax.numpy as jnp

from ..kernels import LayerNorm
from ._base import FiniteLayer, counterpart, sublayers


@dataclasses.dataclass(frozen=True)
class FiniteLayerNorm(FiniteLayer):
    """``(x - mean) / sqrt(eps + var)`` over each token's channels, no affine
    parameters (neural-tangents ``stax.LayerNorm``); padding tokens stay zero."""

    layer: LayerNorm = sublayers()

    def apply(self, params, x, mask):
        centred = x - x.mean(axis=-1, keepdims=True)
        var = (centred * centred).mean(axis=-1, keepdims=True)
        if x.ndim == 3:  # padding tokens: a safe divisor, then zero
            real = mask[..., None] > 0
            return jnp.where(real, centred / jnp.sqrt(self.layer.eps + jnp.where(real, var, 1)), 0)
        return centred / jnp.sqrt(self.layer.eps + var)


@counterpart(LayerNorm)
def _layer_norm(layer, sizes):
    return FiniteLayerNorm(layer)
