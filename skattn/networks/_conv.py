"""One-dimensional convolution over tokens, of finite width."""

import dataclasses

import jax.numpy as jnp

from ..kernels import Conv1D
from ._base import Sizes, counterpart, sublayers, weights_and_bias
from ._windows import FiniteWindows


@dataclasses.dataclass(frozen=True)
class FiniteConv1D(FiniteWindows):
    """``z[o] = w_std / sqrt(filter_size * fan_in) * sum_k x[o s + k] W_k + b_std * b``
    with standard normal ``W_k, b``: the kernel map of
    :class:`~skattn.kernels.Conv1D` is its limit (the taps are independent, so
    the output covariance sums the input covariance along the windows'
    diagonal; Novak et al. 2019).  Padding tokens are zeros inside a window.
    """

    layer: Conv1D = sublayers()
    sizes: Sizes
    maps_channels = True

    def init(self, key, spec, out_width=None):
        out = out_width or self.sizes.width
        fan_in = (self.layer.filter_size, spec.shape[-1])
        params = weights_and_bias(key, fan_in, out, spec.dtype)
        return params, self.out_shape(spec, out)

    def apply(self, params, x, mask):
        taps = self.taps(x)
        scale = self.layer.w_std / jnp.sqrt(taps.shape[2] * taps.shape[3])  # 1/sqrt(fan_in)
        z = scale * jnp.einsum("nokc,kcd->nod", taps, params["w"])
        return (z + self.layer.b_std * params["b"]) * self.out_mask(mask)[..., None]


@counterpart(Conv1D)
def _conv(layer, sizes):
    return FiniteConv1D(layer, sizes)
