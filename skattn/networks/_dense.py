"""Fully connected layer of finite width."""

import dataclasses

import jax.numpy as jnp

from ..kernels import Dense
from ._base import FiniteLayer, Sizes, counterpart, sublayers, weights_and_bias


def token_mask(x, mask):
    """``x`` with padding tokens zeroed (token-level ``x`` only)."""
    return x * mask[..., None] if x.ndim == 3 else x


@dataclasses.dataclass(frozen=True)
class FiniteDense(FiniteLayer):
    """``z = w_std / sqrt(fan_in) * x W + b_std * b`` with standard normal ``W, b``
    (the kernel map of :class:`~skattn.kernels.Dense` is its limit).

    Padding tokens stay zero, as the kernel's remasking keeps their entries zero.
    """

    layer: Dense = sublayers()
    sizes: Sizes
    maps_channels = True

    def init(self, key, spec, out_width=None):
        out = out_width or self.sizes.width
        params = weights_and_bias(key, spec.shape[-1:], out, spec.dtype)
        return params, spec.with_channels(out)

    def apply(self, params, x, mask):
        scale = self.layer.w_std / jnp.sqrt(x.shape[-1])
        return token_mask(scale * (x @ params["w"]) + self.layer.b_std * params["b"], mask)


@counterpart(Dense)
def _dense(layer, sizes):
    return FiniteDense(layer, sizes)
