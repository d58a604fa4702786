"""Sequential and residual composition."""

import dataclasses

from ._base import Layer


@dataclasses.dataclass(frozen=True)
class Serial(Layer):
    """Layers applied one after the other (a fold of their kernel maps)."""

    layers: tuple = ()

    def __post_init__(self):
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"serial() takes skattn.kernels layers; got {layer!r}.")

    def apply(self, state):
        for layer in self.layers:
            state = layer.apply(state)
        return state


@dataclasses.dataclass(frozen=True)
class Residual(Layer):
    """``h + f(h)``: the kernels of the two branches add (the branches are
    independent, so their covariances sum; neural-tangents ``FanInSum``)."""

    branch: Layer = dataclasses.field(default_factory=Serial)

    def apply(self, state):
        out = self.branch.apply(state)
        return out._replace(
            nngp=state.nngp + out.nngp,
            ntk=state.ntk + out.ntk,
            cov1=state.cov1 + out.cov1,
            cov2=state.cov2 + out.cov2,
        )


def serial(*layers):
    """Compose layers in order: ``serial(f, g)(x) = g(f(x))``."""
    return Serial(tuple(layers))


def residual(*layers):
    """A residual block ``h + f(h)`` around ``serial(*layers)``."""
    return Residual(serial(*layers))
