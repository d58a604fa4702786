"""Pointwise nonlinearities through their closed-form Gaussian expectations.

Each activation writes one formula, ``transform(q12, q1, q2)``: for jointly
Gaussian ``(u, v)`` with variances ``q1, q2`` and covariance ``q12`` it returns
``E[phi(u) phi(v)]`` and ``E[phi'(u) phi'(v)]``; the second multiplies the NTK
(Jacot et al. 2018, eq. for the NTK recursion).  Angles are computed with
the vectorised :func:`._trig.asin` (``arctan2(y, x) = asin(y / r)`` for
``x >= 0``), which XLA runs several times faster than ``arctan2``.
"""

import dataclasses

import jax.numpy as jnp

from ._base import Layer
from ._trig import asin


def _sqrt(x):
    return jnp.sqrt(jnp.maximum(x, 0))


@dataclasses.dataclass(frozen=True)
class _Activation(Layer):
    def transform(self, q12, q1, q2):
        raise NotImplementedError

    def apply(self, state):
        pair12, pair11, pair22 = state.variance_pairs()
        nngp, dot = self.transform(state.nngp, *pair12)
        cov1, _ = self.transform(state.cov1, *pair11)
        cov2, _ = self.transform(state.cov2, *pair22)
        return state._replace(nngp=nngp, ntk=state.ntk * dot, cov1=cov1, cov2=cov2)


@dataclasses.dataclass(frozen=True)
class Relu(_Activation):
    """ReLU: the arc-cosine kernel of degree 1 (Cho & Saul 2009)::

        nngp' = (sqrt(q1 q2 - q12**2) + (pi - theta) q12) / (2 pi)
        dot   = (pi - theta) / (2 pi),   theta = arccos(q12 / sqrt(q1 q2))
    """

    def transform(self, q12, q1, q2):
        norm = jnp.sqrt(q1 * q2)
        cos = jnp.where(norm > 0, q12 / jnp.where(norm > 0, norm, 1), 0)
        dot = 0.25 + asin(cos) / (2 * jnp.pi)  # (pi - theta) / (2 pi)
        root = _sqrt(q1 * q2 - q12**2)
        return root / (2 * jnp.pi) + dot * q12, dot


@dataclasses.dataclass(frozen=True)
class Erf(_Activation):
    """erf (Williams 1997)::

        nngp' = 2/pi * arcsin(2 q12 / sqrt((1 + 2 q1)(1 + 2 q2)))
        dot   = 4/pi / sqrt((1 + 2 q1)(1 + 2 q2) - 4 q12**2)
    """

    def transform(self, q12, q1, q2):
        prod = (1 + 2 * q1) * (1 + 2 * q2)
        root = _sqrt(prod - 4 * q12**2)
        return 2 / jnp.pi * asin(2 * q12 / jnp.sqrt(prod)), 4 / jnp.pi / root


@dataclasses.dataclass(frozen=True)
class Gelu(_Activation):
    """GELU, ``x * Phi(x)`` (Tsuchida et al. 2021, "Avoiding kernel fixed
    points: computing with ELU and GELU infinite networks", arXiv 2002.08517)."""

    def transform(self, q12, q1, q2):
        prod, prod1 = q1 * q2, (q1 + 1) * (q2 + 1)
        delta2 = prod1 - q12**2
        delta = _sqrt(delta2)
        angle = asin(q12 / jnp.sqrt(prod1))
        nngp = ((q12**2 + prod * delta2) / (prod1 * delta) + q12 * angle) / (2 * jnp.pi)
        nngp = nngp + q12 / 4
        dot = (1 / delta2 + (1 - prod) / prod1 + 1) * q12 / delta / (2 * jnp.pi)
        return nngp, dot + 0.25 + angle / (2 * jnp.pi)


@dataclasses.dataclass(frozen=True)
class Identity(_Activation):
    """The identity map: kernels pass through unchanged."""

    def apply(self, state):
        return state


ACTIVATIONS = {"relu": Relu, "erf": Erf, "gelu": Gelu, "identity": Identity}


def activation(name):
    """The activation layer called ``name``: one of "relu", "erf", "gelu", "identity"."""
    if name not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}."
        )
    return ACTIVATIONS[name]()
