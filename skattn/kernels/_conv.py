"""One-dimensional convolution over tokens, in the NTK parameterisation."""

import dataclasses

import jax.numpy as jnp
import numpy as np

from ._base import Layer, hyperparameter
from ._state import with_bias
from ._windows import Window, check_window, token_axes


@dataclasses.dataclass(frozen=True)
class Conv1D(Layer):
    """Convolution over the token axis with infinitely many channels.

    Output token ``o`` is ``w_std / sqrt(filter_size * fan_in)`` times a
    weight-shared filter over the tokens ``o * stride + k``, ``k <
    filter_size``, plus ``b_std`` times a bias.  Filter taps are independent,
    so a kernel entry sums the input kernel along the diagonal of the two
    windows (Novak et al. 2019, "Bayesian deep convolutional networks with
    many channels are Gaussian processes"; neural-tangents ``stax.Conv``)::

        nngp'[o, p] = w_std**2 / filter_size * sum_k nngp[o s + k, p s + k] + b_std**2
        ntk'[o, p]  = w_std**2 / filter_size * sum_k ntk[o s + k, p s + k] + nngp'[o, p]

    Masked (padding) tokens count as zeros inside a window; an output token is
    padding when the input token at its window's centre is, as in
    neural-tangents.  With ``filter_size=1`` this is :class:`Dense`.

    Parameters
    ----------
    filter_size : int, default=3
        Tokens a filter spans.
    stride : int, default=1
        Tokens between the starts of two windows.
    padding : {"valid", "same", "circular"}, default="valid"
        "valid": windows inside the sequence only (``(L - filter_size) //
        stride + 1`` outputs); "same": zeros around the sequence,
        ``ceil(L / stride)`` outputs; "circular": as "same", wrapping around
        the ``L`` positions (padding tokens included).
    w_std : float, default=1.0
        Standard deviation of the weights.
    b_std : float, default=0.0
        Standard deviation of the biases.

    Notes
    -----
    Only "same" with ``stride=1`` gives kernels that do not depend on the
    padded length ``L``.  Otherwise the windows depend on it, as in
    neural-tangents, which sees the padded array: "valid" keeps the windows
    that fit in ``L`` (more trailing padding adds the windows that overrun a
    full-length sequence's end), "same" with a stride places them from
    ``L``, "circular" wraps at ``L``.  Pad the sequences that are compared to
    one length (an estimator does: it needs the same ``L`` in ``fit`` and
    ``predict``).
    """

    keeps_features = True

    filter_size: int = 3
    stride: int = 1
    padding: str = "valid"
    w_std: float = hyperparameter(1.0)
    b_std: float = hyperparameter(0.0, zero_is_structure=True)

    def __post_init__(self):
        super().__post_init__()
        check_window(self, "filter_size")

    def out_mask(self, mask):
        return Window(self.filter_size, self.stride, self.padding, mask.shape[1]).out(self, mask)

    def apply(self, state, side1, side2):
        if state.pooled:
            raise ValueError("Conv1D needs token-level kernels; put it before GlobalAvgPool.")
        window = Window(self.filter_size, self.stride, self.padding, state.mask1.shape[1])
        window.check(self)
        axes = token_axes(state)
        w2, b = self.w_std**2, self.nonzero("b_std")

        def diagonal_sum(K):  # sum_k K[o s + k, p s + k]
            K = window.pad(K, axes)
            return sum(window.take(window.take(K, k, axes[0]), k, axes[1])
                       for k in range(self.filter_size)) / self.filter_size

        out = state._replace(mask1=window.mask(state.mask1), mask2=window.mask(state.mask2))
        pair = out.pair_mask()  # zero where an output token is padding
        nngp = w2 * diagonal_sum(state.nngp) * pair + out.bias(b)
        features = state.features
        if features is not None:
            features = with_bias(self._stack(window, features.left, out.mask1),
                                 self._stack(window, features.right, out.mask2),
                                 np.tile(1 + features.weights, self.filter_size),
                                 b, out.mask1, out.mask2)
        return out.with_kernels(nngp, w2 * diagonal_sum(state.ntk) * pair + nngp, features)

    def _stack(self, window, F, mask):
        """Features of the outputs: the window's ``filter_size`` input features side
        by side, ``w_std / sqrt(filter_size)`` each (their Gram matrix is the
        diagonal sum), zero at padding outputs."""
        F = window.pad(F, (1,))
        taps = [window.take(F, k, 1) for k in range(self.filter_size)]
        scale = self.w_std / self.filter_size**0.5
        return scale * jnp.concatenate(taps, axis=-1) * mask[..., None]
