"""The kernel state: what every layer maps to a new one.

Following neural-tangents' ``Kernel`` (Novak et al., ICLR 2020), a state holds the
NNGP and NTK between the sequences of two batches, each sequence's own
token-by-token covariance, and the token masks; nothing else.  Before global
pooling the kernels are token-level, after it one value per pair of sequences.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp


def outer(a1, a2):
    """``a1[i, s] * a2[j, t]`` in the pair layout ``(i, s, j, t)``."""
    return a1[:, :, None, None] * a2[None, None, :, :]


class KernelState(NamedTuple):
    """Kernels of a layer's outputs for two batches of sequences.

    Attributes
    ----------
    nngp, ntk : jax.Array of shape (n1, L, n2, L), or (n1, n2) once pooled
        Covariance and neural tangent kernel between tokens of the two batches:
        ``nngp[i, s, j, t]`` is between token ``s`` of ``i`` and ``t`` of ``j``
        (this layout makes the attention contractions plain matrix products).
    cov1, cov2 : jax.Array of shape (n, L, L), or (n,) once pooled
        Each sequence's covariance with itself (batch 1 and batch 2).
    mask1, mask2 : jax.Array of shape (n, L)
        1 where a real token stands, 0 at padding, in the kernels' dtype.

    Every layer keeps the invariant that token-level kernels are zero wherever
    a padding token is involved (neural-tangents' "remasking").
    """

    nngp: jax.Array
    ntk: jax.Array
    cov1: jax.Array
    cov2: jax.Array
    mask1: jax.Array
    mask2: jax.Array

    @property
    def pooled(self):
        """True once the token axes have been reduced away."""
        return self.nngp.ndim == 2

    def remasked(self):
        """Zero every covariance that involves a padding token."""
        if self.pooled:
            return self
        m1, m2 = self.mask1, self.mask2
        pair = outer(m1, m2)
        return self._replace(
            nngp=self.nngp * pair,
            ntk=self.ntk * pair,
            cov1=self.cov1 * (m1[:, :, None] * m1[:, None, :]),
            cov2=self.cov2 * (m2[:, :, None] * m2[:, None, :]),
        )

    def variances(self):
        """Per-token variances ``(var1, var2)``: (n, L) each, or (n,) once pooled."""
        if self.pooled:
            return self.cov1, self.cov2
        return (jnp.diagonal(self.cov1, axis1=1, axis2=2),
                jnp.diagonal(self.cov2, axis1=1, axis2=2))

    def variance_pairs(self):
        """Variances broadcast against ``nngp``, ``cov1`` and ``cov2``.

        Returns three ``(left, right)`` pairs: for entry ``[i, s, j, t]`` of
        ``nngp`` the variances of token ``s`` of ``i`` and ``t`` of ``j``, and the
        same for ``cov1`` and ``cov2``.  Elementwise layers read these.
        """
        v1, v2 = self.variances()
        if self.pooled:
            return (v1[:, None], v2[None, :]), (v1, v1), (v2, v2)
        return ((v1[:, :, None, None], v2[None, None, :, :]),
                (v1[:, :, None], v1[:, None, :]),
                (v2[:, :, None], v2[:, None, :]))


def input_state(x1, mask1, x2, mask2):
    """The state of the raw inputs: token inner products over the features.

    ``nngp[i, s, j, t] = x1[i, s] . x2[j, t] / d`` (neural-tangents'
    ``_inputs_to_kernel``); the NTK of the inputs is zero.
    """
    d = x1.shape[-1]
    nngp = jnp.einsum("isc,jtc->isjt", x1, x2) / d
    cov1 = jnp.einsum("isc,itc->ist", x1, x1) / d
    cov2 = jnp.einsum("isc,itc->ist", x2, x2) / d
    dtype = x1.dtype
    return KernelState(nngp, jnp.zeros_like(nngp), cov1, cov2,
                       mask1.astype(dtype), mask2.astype(dtype))
