"""Sliding windows over the tokens of finite-width activations: what FiniteConv1D
and FiniteAvgPool1D share, on the geometry of :mod:`skattn.kernels._windows`."""

import dataclasses

import jax.numpy as jnp

from ..kernels._windows import Window
from ._base import FiniteLayer


@dataclasses.dataclass(frozen=True)
class FiniteWindows(FiniteLayer):
    """A finite layer whose output token ``o`` reads the input tokens ``o *
    stride + k``, ``k < size``, of its kernel layer's windows: padded as the
    kernel pads them, and masked as the kernel masks them (an output token is
    padding when the input token at its window's centre is)."""

    #: The name of the kernel layer's window size field.
    size_name = "filter_size"

    def window(self, length):
        """Where the windows fall on ``length`` tokens (a clear error when none fits)."""
        layer = self.layer
        window = Window(getattr(layer, self.size_name), layer.stride, layer.padding, length)
        window.check(layer)
        return window

    def taps(self, x):
        """The inputs of every window, ``(n, L, c) -> (n, L_out, size, c)``."""
        if x.ndim != 3:
            raise ValueError(f"{type(self.layer).__name__} needs token-level inputs; put it "
                             "before GlobalAvgPool.")
        window = self.window(x.shape[1])
        padded = window.pad(x, (1,))
        return jnp.stack([window.take(padded, k, 1) for k in range(window.size)], axis=2)

    def out_shape(self, spec, channels):
        """``spec`` with the windows' token count and ``channels`` channels."""
        n, length, _ = spec.shape
        return spec._replace(shape=(n, self.window(length).out_length, channels))

    def out_mask(self, mask):
        return self.layer.out_mask(mask)
