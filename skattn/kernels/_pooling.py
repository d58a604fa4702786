"""Average pooling over tokens: windows (AvgPool1D) or the whole sequence (GlobalAvgPool)."""

import dataclasses
from typing import Optional

from ._base import Layer
from ._windows import Window, check_window, token_axes


@dataclasses.dataclass(frozen=True)
class AvgPool1D(Layer):
    """Mean of the tokens in windows of ``window`` tokens, ``stride`` apart.

    Output token ``o`` averages the tokens ``o * stride + a``, ``a < window``,
    so a kernel entry averages the input kernel over both windows
    (neural-tangents ``stax.AvgPool``)::

        nngp'[o, p] = sum_{a, b} nngp[o s + a, p s + b] / window**2

    and the same for the NTK.  The two sums are separable: one axis at a time.
    Masked (padding) tokens count as zeros and the divisor stays ``window``
    (neural-tangents' ``normalize_edges=False``); an output token is padding
    when the input token at its window's centre is.  Pooling by a factor
    ``f`` (``window=stride=f``) divides the token count by ``f``, so every later
    attention layer costs ``f**3`` times less per pair of sequences.

    Parameters
    ----------
    window : int, default=2
        Tokens per window.
    stride : int or None, default=None
        Tokens between the starts of two windows; None is ``window``
        (non-overlapping windows; neural-tangents' default is 1).
    padding : {"valid", "same", "circular"}, default="valid"
        As for :class:`Conv1D`.

    Notes
    -----
    Unless ``padding="same"`` and ``stride=1`` the kernel depends on the padded
    length ``L``, as for :class:`Conv1D`.
    """

    keeps_features = True

    window: int = 2
    stride: Optional[int] = None
    padding: str = "valid"

    def __post_init__(self):
        super().__post_init__()
        if self.stride is None:
            object.__setattr__(self, "stride", self.window)
        check_window(self, "window")

    def out_mask(self, mask):
        return Window(self.window, self.stride, self.padding, mask.shape[1]).out(self, mask)

    def apply(self, state, side1, side2):
        if state.pooled:
            raise ValueError("AvgPool1D needs token-level kernels; put it before "
                             "GlobalAvgPool.")
        window = Window(self.window, self.stride, self.padding, state.mask1.shape[1])
        window.check(self)
        axes = token_axes(state)
        out = state._replace(mask1=window.mask(state.mask1), mask2=window.mask(state.mask2))
        features = state.features
        if features is not None:
            features = features._replace(left=self._mean(window, features.left, 1, out.mask1),
                                         right=self._mean(window, features.right, 1, out.mask2))
            # The Gram matrix of the pooled features costs L_out**2 r per pair,
            # the window sums window * L_out * (L + L_out): pooling long
            # sequences by the Gram leaves the long kernels before it unused.
            L_out = window.out_length
            if L_out * features.rank < self.window * (window.length + L_out):
                return out.with_kernels(*out.gram(features), features)
        pair = out.pair_mask()  # zero where an output token is padding
        nngp, ntk = (self._mean(window, self._mean(window, K, axes[0]), axes[1]) * pair
                     for K in (state.nngp, state.ntk))
        return out.with_kernels(nngp, ntk, features)

    def _mean(self, window, x, axis, mask=None):
        """The window means of ``x`` along ``axis``; zero where ``mask`` is."""
        x = window.pad(x, (axis,))
        x = sum(window.take(x, a, axis) for a in range(self.window)) / self.window
        return x if mask is None else x * mask[..., None]


@dataclasses.dataclass(frozen=True)
class GlobalAvgPool(Layer):
    """Mean over tokens, padding excluded.

    The pooled kernel is the mean of the token-level kernel over all pairs of
    real tokens: ``sum_{s,t} nngp[i, s, j, t] / (len_i * len_j)``.
    """

    def out_mask(self, mask):
        """One entry per sequence: whether it has a real token to average."""
        return mask.any(axis=1, keepdims=True)

    def apply(self, state, side1, side2):
        if state.pooled:
            raise ValueError("GlobalAvgPool needs token-level kernels; "
                             "the tokens were already pooled.")
        n1, n2 = state.mask1.sum(axis=1), state.mask2.sum(axis=1)  # out_mask: never 0
        pooled = state.with_kernels(state.token_sum(state.nngp), state.token_sum(state.ntk))
        left, right = pooled.broadcast(n1, n2)
        return pooled.with_kernels(pooled.nngp / (left * right), pooled.ntk / (left * right))
