"""Sequential and residual composition."""

import dataclasses

from ._base import Layer, sublayers


@dataclasses.dataclass(frozen=True)
class Serial(Layer):
    """Layers applied one after the other (a fold of their kernel maps)."""

    layers: tuple = sublayers(default=())
    keeps_features = True

    def __post_init__(self):
        super().__post_init__()
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"serial() takes skattn.kernels layers; got {layer!r}.")

    def side(self, own):
        raise TypeError("A Serial's sides come from walk(), layer by layer.")

    def out_mask(self, mask):
        for layer in self.layers:
            mask = layer.out_mask(mask)
        return mask

    def walk(self, own):
        sides = []
        for layer in self.layers:
            own, side = layer.walk(own)
            own = _checked(layer, own)
            sides.append(side)
        return own, tuple(sides)

    def apply(self, state, side1, side2):
        for layer, s1, s2 in zip(self.layers, side1, side2):
            state = _checked(layer, layer.apply(state, s1, s2))
        return state


def _checked(layer, state):
    """``state`` without features unless ``layer`` maps them (a layer of one's own
    that replaces the kernels with ``_replace`` would otherwise pass stale ones)."""
    if state.features is None or layer.keeps_features:
        return state
    return state._replace(features=None)


@dataclasses.dataclass(frozen=True)
class Residual(Layer):
    """``h + f(h)``: the kernels of the two branches add (the branches are
    independent, so their covariances sum; neural-tangents ``FanInSum``)."""

    branch: Layer = sublayers(default_factory=Serial)
    keeps_features = True

    def side(self, own):
        raise TypeError("A Residual's side comes from walk(), through its branch.")

    def out_mask(self, mask):
        return self.branch.out_mask(mask)

    def walk(self, own):
        out, side = self.branch.walk(own)
        return self._add(own, _checked(self.branch, out)), side

    def apply(self, state, side1, side2):
        return self._add(state, _checked(self.branch, self.branch.apply(state, side1, side2)))

    @staticmethod
    def _add(state, out):
        features = None
        if state.features is not None and out.features is not None:
            features = state.features.concat(out.features)
        return out.with_kernels(state.nngp + out.nngp, state.ntk + out.ntk, features)


def serial(*layers):
    """Compose layers in order: ``serial(f, g)(x) = g(f(x))``."""
    return Serial(tuple(layers))


def residual(*layers):
    """A residual block ``h + f(h)`` around ``serial(*layers)``."""
    return Residual(serial(*layers))
