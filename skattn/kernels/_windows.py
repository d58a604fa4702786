"""Sliding windows over the token axis: the geometry Conv1D and AvgPool1D share.

A window of ``size`` tokens moves by ``stride`` over a sequence of ``L`` token
positions, padded as ``jax.lax.conv_general_dilated`` pads ("valid": none;
"same": ``ceil(L / stride)`` outputs, zeros split evenly with the extra one on
the right; "circular": the same amounts, taken from the other end of the
sequence).  Output ``o`` reads padded positions ``o * stride + k``,
``k < size``.

A token's kernel entries are the covariances of its features, so windows move
over both token axes of a kernel at once.  Padding tokens of ragged sequences
are masked, as neural-tangents masks them (``_pool_mask``): an output token is
real when the input token at its window's centre is.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

PADDINGS = ("valid", "same", "circular")


def check_window(layer, size_name, padding=True):
    """Construction checks: positive integer size and stride, a known padding."""
    for name in (size_name, "stride"):
        value = getattr(layer, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{type(layer).__name__}: {name} must be a positive integer; "
                             f"got {value!r}.")
    if padding and layer.padding not in PADDINGS:
        allowed = ", ".join(repr(p) for p in PADDINGS)
        raise ValueError(f"{type(layer).__name__}: padding must be one of {allowed}; "
                         f"got {layer.padding!r}.")


@dataclasses.dataclass(frozen=True)
class Window:
    """Where the windows of ``size`` and ``stride`` fall on ``length`` tokens."""

    size: int
    stride: int
    padding: str
    length: int

    @property
    def pads(self):
        """Positions added on the left and on the right."""
        if self.padding == "valid":
            return 0, 0
        total = max((self.out_length - 1) * self.stride + self.size - self.length, 0)
        return total // 2, total - total // 2

    @property
    def out_length(self):
        if self.padding == "valid":
            return (self.length - self.size) // self.stride + 1
        return -(-self.length // self.stride)

    def check(self, layer):
        """A clear error when the sequences are shorter than one window."""
        if self.out_length < 1:
            raise ValueError(
                f"{type(layer).__name__}: a window of {self.size} tokens with "
                f"padding='valid' needs sequences of at least {self.size} token "
                f"positions; got {self.length}. Use padding='same' or a smaller window."
            )

    def centres(self):
        """The input position at the centre of each output's window."""
        left, _ = self.pads
        return np.arange(self.out_length) * self.stride - left + (self.size - 1) // 2

    def pad(self, x, axes):
        """``x`` padded on its token ``axes`` (zeros, or wrapped when circular)."""
        left, right = self.pads
        if left == right == 0:
            return x
        widths = [(0, 0)] * x.ndim
        for axis in axes:
            widths[axis] = (left, right)
        return jnp.pad(x, widths, mode="wrap" if self.padding == "circular" else "constant")

    def take(self, x, offset, axis):
        """``x[..., o * stride + offset, ...]`` on ``axis`` for every output ``o``
        (``x`` padded already)."""
        stop = offset + (self.out_length - 1) * self.stride + 1
        return jax.lax.slice_in_dim(x, offset, stop, self.stride, axis)

    def mask(self, mask):
        """Output token masks from input masks ``(n, L)``."""
        return mask[:, self.centres()]

    def out(self, layer, mask):
        """:meth:`mask` of host-side masks, after :meth:`check`."""
        self.check(layer)
        return self.mask(mask)


def token_axes(state):
    """The token axes of ``state``'s kernels: ``(1, 2)`` own, ``(1, 3)`` cross."""
    return (1, 2) if state.own else (1, 3)
