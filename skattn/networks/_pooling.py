"""Global average pooling of finite width."""

import dataclasses

from ..kernels import GlobalAvgPool
from ._base import FiniteLayer, counterpart


@dataclasses.dataclass(frozen=True)
class FiniteGlobalAvgPool(FiniteLayer):
    """Mean over the real tokens of each sequence: ``(n, L, c) -> (n, c)``."""

    layer: GlobalAvgPool

    def init(self, key, spec, out_width=None):
        return (), spec._replace(shape=spec.shape[:1] + spec.shape[2:])

    def apply(self, params, x, mask):
        if x.ndim != 3:
            raise ValueError("GlobalAvgPool needs token-level inputs; the tokens were "
                             "already pooled.")
        return (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1)[:, None]


@counterpart(GlobalAvgPool)
def _pool(layer, sizes):
    return FiniteGlobalAvgPool(layer)
