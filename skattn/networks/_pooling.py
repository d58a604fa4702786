"""Average pooling of finite width: windows (AvgPool1D) or the whole sequence."""

import dataclasses

from ..kernels import AvgPool1D, GlobalAvgPool
from ._base import FiniteLayer, counterpart, sublayers
from ._windows import FiniteWindows


@dataclasses.dataclass(frozen=True)
class FiniteAvgPool1D(FiniteWindows):
    """Mean of each window's tokens, padding counted as zeros and the divisor kept
    at ``window``, as in :class:`~skattn.kernels.AvgPool1D`."""

    layer: AvgPool1D = sublayers()
    size_name = "window"

    def init(self, key, spec, out_width=None):
        return (), self.out_shape(spec, spec.shape[-1])

    def apply(self, params, x, mask):
        return self.taps(x).mean(axis=2) * self.out_mask(mask)[..., None]


@dataclasses.dataclass(frozen=True)
class FiniteGlobalAvgPool(FiniteLayer):
    """Mean over the real tokens of each sequence: ``(n, L, c) -> (n, c)``."""

    layer: GlobalAvgPool = sublayers()

    def init(self, key, spec, out_width=None):
        return (), spec._replace(shape=spec.shape[:1] + spec.shape[2:])

    def apply(self, params, x, mask):
        if x.ndim != 3:
            raise ValueError("GlobalAvgPool needs token-level inputs; the tokens were "
                             "already pooled.")
        return (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1)[:, None]


@counterpart(AvgPool1D)
def _avg_pool(layer, sizes):
    return FiniteAvgPool1D(layer)


@counterpart(GlobalAvgPool)
def _pool(layer, sizes):
    return FiniteGlobalAvgPool(layer)
