"""Sequential and residual composition of finite layers."""

import dataclasses

import jax

from ..kernels import Residual, Serial
from ._base import FiniteLayer, build, counterpart, sublayers


@dataclasses.dataclass(frozen=True)
class FiniteSerial(FiniteLayer):
    """Layers applied one after the other; the last one that maps channels
    gives the requested output width."""

    layers: tuple = sublayers()

    @property
    def maps_channels(self):
        return any(layer.maps_channels for layer in self.layers)

    def init(self, key, spec, out_width=None):
        mappers = [i for i, layer in enumerate(self.layers) if layer.maps_channels]
        last = mappers[-1] if mappers else None
        params = []
        for i, (layer, k) in enumerate(zip(self.layers, jax.random.split(key, len(self.layers)))):
            p, spec = layer.init(k, spec, out_width if i == last else None)
            params.append(p)
        return tuple(params), spec

    def apply(self, params, x, mask):
        for layer, p in zip(self.layers, params):
            x, mask = layer.apply(p, x, mask), layer.out_mask(mask)
        return x

    def out_mask(self, mask):
        for layer in self.layers:
            mask = layer.out_mask(mask)
        return mask


@dataclasses.dataclass(frozen=True)
class FiniteResidual(FiniteLayer):
    """``h + f(h)``: the branch maps back to the input's channels."""

    branch: FiniteLayer = sublayers()

    def init(self, key, spec, out_width=None):
        params, out = self.branch.init(key, spec, spec.shape[-1])
        if out.shape != spec.shape:
            raise ValueError(f"A residual branch maps {spec.shape} to {out.shape}; "
                             "it must keep the shape.")
        return params, spec

    def apply(self, params, x, mask):
        return x + self.branch.apply(params, x, mask)

    def out_mask(self, mask):
        return self.branch.out_mask(mask)


@counterpart(Serial)
def _serial(layer, sizes):
    return FiniteSerial(tuple(build(child, sizes) for child in layer.layers))


@counterpart(Residual)
def _residual(layer, sizes):
    return FiniteResidual(build(layer.branch, sizes))
