"""Pointwise nonlinearities through their closed-form Gaussian expectations.

Each activation writes one formula, ``transform(q12, q1, q2)``: for jointly
Gaussian ``(u, v)`` with variances ``q1, q2`` and covariance ``q12`` it returns
``E[phi(u) phi(v)]`` and ``E[phi'(u) phi'(v)]``; the second multiplies the NTK
(Jacot et al. 2018, eq. for the NTK recursion).  Angles are computed with
the vectorised :func:`._trig.asin` (``arctan2(y, x) = asin(y / r)`` for
``x >= 0``), which XLA runs several times faster than ``arctan2``.
"""

import dataclasses

import jax
import jax.numpy as jnp

from ._base import Layer
from ._trig import asin, safe_sqrt


@dataclasses.dataclass(frozen=True)
class _Activation(Layer):
    def transform(self, q12, q1, q2):
        raise NotImplementedError

    def side(self, own):
        """The variance of every token."""
        return own.variances()

    def apply(self, state, side1, side2):
        nngp, dot = self.transform(state.nngp, *state.broadcast(side1, side2))
        return state.with_kernels(nngp, state.ntk * dot)


def _rsqrt(q):
    """``1 / sqrt(q)``, and 0 where ``q`` is 0 (padding tokens)."""
    return jnp.where(q > 0, jax.lax.rsqrt(jnp.where(q > 0, q, 1)), 0)


#: ``c`` within this many machine epsilons of 1 is taken as 1 (see :func:`_cos_sin`).
SNAP_ULPS = 8


def _cos_sin(q12, r1, r2):
    """``c = q12 r1 r2`` clipped to [-1, 1], and ``sqrt(1 - c**2)``.

    ``r1, r2`` are per-token factors broadcast against ``q12``: the square roots
    are taken once per token rather than once per pair of tokens.

    A token against itself has ``c = 1`` exactly, but the products round it to
    ``1 - delta`` with ``delta`` a few ulps, and the infinite slope of ``asin``
    at 1 turns that into an error of ``sqrt(2 delta)``: 3.6e-5 relative in the
    float32 NTK of ``transformer(n_blocks=2)`` (issue #14), on the kernel's
    diagonal.  ``c`` within ``SNAP_ULPS`` epsilons of 1 is therefore taken as
    1; for a ``c`` truly that close, rounding alone gives an error as large.
    """
    cos = _cos(q12, r1, r2)
    return cos, safe_sqrt(1 - cos * cos)


def _cos(q12, r1, r2):
    """The ``c`` of :func:`_cos_sin`."""
    cos = jnp.clip(q12 * r1 * r2, -1, 1)
    return jnp.where(cos >= 1 - SNAP_ULPS * jnp.finfo(cos.dtype).eps, 1, cos)


@dataclasses.dataclass(frozen=True)
class Relu(_Activation):
    """ReLU: the arc-cosine kernel of degree 1 (Cho & Saul 2009)::

        nngp' = sqrt(q1 q2) (sin(theta) + (pi - theta) cos(theta)) / (2 pi)
        dot   = (pi - theta) / (2 pi),   cos(theta) = q12 / sqrt(q1 q2)

    with ``pi - theta = pi/2 + asin(cos(theta))``.
    """

    def transform(self, q12, q1, q2):
        cos, sin = _cos_sin(q12, _rsqrt(q1), _rsqrt(q2))
        dot = 0.25 + asin(cos) / (2 * jnp.pi)
        return sin * (safe_sqrt(q1) * safe_sqrt(q2)) / (2 * jnp.pi) + dot * q12, dot


def _gram(q12, q1, q2):
    """``q1 q2 - q12**2``, as ``q1 q2 (1 - c**2)`` with the tokens' ``c`` of
    :func:`_cos_sin`: the determinants of Erf and GELU are sums of it and
    positive terms, so they never cancel (as ``(1 + 2 q1)(1 + 2 q2) - 4 q12**2``
    does, to ``eps q`` relative, once the variances ``q`` are large)."""
    cos = _cos(q12, _rsqrt(q1), _rsqrt(q2))
    root = safe_sqrt(q1) * safe_sqrt(q2)
    return (root * (1 - cos * cos)) * root  # 0, not inf * 0, for a token with itself


def _angle(x, root):
    """``asin(x)`` given ``root = sqrt(1 - x**2)`` computed without cancelling:
    asin of the smaller of the two, so that neither meets asin's infinite
    slope at 1 (where a rounding of ``x`` by ``eps`` moves the angle by
    ``sqrt(2 eps)``); one asin."""
    small = jnp.abs(x) <= root
    a = asin(jnp.where(small, jnp.abs(x), root))
    return jnp.copysign(jnp.where(small, a, jnp.pi / 2 - a), x)


@dataclasses.dataclass(frozen=True)
class Erf(_Activation):
    """erf (Williams 1997), with ``x = 2 q12 / sqrt((1 + 2 q1)(1 + 2 q2))``::

        nngp' = 2/pi * asin(x)
        dot   = 4/pi / sqrt(det),   det = (1 + 2 q1)(1 + 2 q2) - 4 q12**2

    where ``det = 1 + 2 q1 + 2 q2 + 4 (q1 q2 - q12**2)`` (no cancellation,
    :func:`_gram`) and ``sqrt(1 - x**2) = sqrt(det / ((1 + 2 q1)(1 + 2 q2)))``.
    """

    def transform(self, q12, q1, q2):
        r1, r2 = jax.lax.rsqrt(1 + 2 * q1), jax.lax.rsqrt(1 + 2 * q2)
        root_det = jnp.sqrt(1 + 2 * (q1 + q2) + 4 * _gram(q12, q1, q2))
        x = jnp.clip(2 * q12 * (r1 * r2), -1, 1)
        angle = _angle(x, root_det * (r1 * r2))
        return 2 / jnp.pi * angle, 4 / jnp.pi / root_det


@dataclasses.dataclass(frozen=True)
class Gelu(_Activation):
    """GELU, ``x * Phi(x)`` (Tsuchida et al. 2021, "Avoiding kernel fixed
    points: computing with ELU and GELU infinite networks", arXiv 2002.08517),
    with ``P = (1 + q1)(1 + q2)``, ``x = q12 / sqrt(P)`` and
    ``delta**2 = P - q12**2``::

        nngp' = q12 / 4 + (q12**2 / (P delta) + q1 q2 delta / P + q12 asin(x)) / (2 pi)
        dot   = 1 / 4 + asin(x) / (2 pi) + q12 (1 / delta**2 + (2 + q1 + q2) / P) / (2 pi delta)

    computed so that nothing overflows or cancels for large variances:
    ``q12**2 / P = x**2``, ``delta**2 = 1 + q1 + q2 + (q1 q2 - q12**2)``
    (:func:`_gram`), and ``asin(x)`` from ``sqrt(1 - x**2) = delta / sqrt(P)``
    (:func:`_angle`).
    """

    def transform(self, q12, q1, q2):
        delta2 = 1 + (q1 + q2) + _gram(q12, q1, q2)
        delta = jnp.sqrt(delta2)
        r = jax.lax.rsqrt(q1 + 1) * jax.lax.rsqrt(q2 + 1)
        x = jnp.clip(q12 * r, -1, 1)
        angle = _angle(x, delta * r)
        shrink = (q1 / (q1 + 1)) * (q2 / (q2 + 1))
        nngp = (x * x / delta + shrink * delta + q12 * angle) / (2 * jnp.pi)
        dot = (1 / delta2 + (2 + q1 + q2) * (r * r)) * q12 / delta / (2 * jnp.pi)
        return nngp + q12 / 4, dot + 0.25 + angle / (2 * jnp.pi)


@dataclasses.dataclass(frozen=True)
class Identity(_Activation):
    """The identity map: kernels pass through unchanged."""

    def side(self, own):
        return None

    def apply(self, state, side1, side2):
        return state


ACTIVATIONS = {"relu": Relu, "erf": Erf, "gelu": Gelu, "identity": Identity}


def activation(name):
    """The activation layer called ``name``: one of "relu", "erf", "gelu", "identity"."""
    if name not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}."
        )
    return ACTIVATIONS[name]()
