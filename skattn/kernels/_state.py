"""The kernel state: what every layer maps to a new one.

Following neural-tangents' ``Kernel`` (Novak et al., ICLR 2020), a state holds the
NNGP and NTK between the tokens of two batches of sequences, and the token
masks.  It comes in two layouts that the layers treat alike:

* cross, ``(i, s, j, t)``: between sequence ``i`` of one batch and ``j`` of
  another (this layout makes the attention contractions plain matrix products);
* own, ``(i, s, t)``: each sequence with itself.  Its kernels are the
  per-sequence covariances every layer derives its *side* quantities from
  (attention matrices, token variances), and once pooled they are the
  diagonal of the kernel matrix.

Before global pooling the kernels are token-level, after it one value per pair
(``(n1, n2)``) or per sequence (``(n,)``).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp


class KernelState(NamedTuple):
    """Kernels of a layer's outputs, in the cross or the own layout.

    Attributes
    ----------
    nngp, ntk : jax.Array
        Covariance and neural tangent kernel between tokens: of shape
        ``(n1, L, n2, L)`` between two batches (``nngp[i, s, j, t]`` is between
        token ``s`` of ``i`` and ``t`` of ``j``), ``(n, L, L)`` for each sequence
        with itself; ``(n1, n2)`` and ``(n,)`` once pooled.
    mask1, mask2 : jax.Array of shape (n, L)
        1 where a real token stands, 0 at padding, in the kernels' dtype (the
        same array twice in the own layout).

    Every layer keeps the invariant that token-level kernels are zero wherever
    a padding token is involved (neural-tangents' "remasking").
    """

    nngp: jax.Array
    ntk: jax.Array
    mask1: jax.Array
    mask2: jax.Array

    @property
    def pooled(self):
        """True once the token axes have been reduced away."""
        return self.nngp.ndim <= 2

    @property
    def own(self):
        """True in the own layout (each sequence with itself)."""
        return self.nngp.ndim % 2 == 1

    def broadcast(self, a1, a2):
        """Per-token (or, pooled, per-sequence) arrays of both sides, broadcast
        against ``nngp``: entry ``[i, s, j, t]`` sees ``a1[i, s]`` and ``a2[j, t]``."""
        if self.own:
            return (a1, a2) if self.pooled else (a1[:, :, None], a2[:, None, :])
        if self.pooled:
            return a1[:, None], a2[None, :]
        return a1[:, :, None, None], a2[None, None, :, :]

    def pair_mask(self):
        """1 where both tokens are real, broadcast against ``nngp``."""
        m1, m2 = self.broadcast(self.mask1, self.mask2)
        return m1 * m2

    def remasked(self):
        """Zero every kernel entry that involves a padding token."""
        if self.pooled:
            return self
        pair = self.pair_mask()
        return self._replace(nngp=self.nngp * pair, ntk=self.ntk * pair)

    def variances(self):
        """Per-token variances ``(n, L)`` (``(n,)`` once pooled); own layout only."""
        if not self.own:
            raise ValueError("Variances are read from the own layout.")
        return self.nngp if self.pooled else jnp.diagonal(self.nngp, axis1=1, axis2=2)

    def sandwich(self, G1, K, G2):
        """``out[i, s, j, t] = sum_ab G1[i, s, a] K[i, a, j, b] G2[j, t, b]``.

        In the cross layout two batched matrix products: over ``a`` with ``i``
        batched (``K[i]`` is an ``(L, n2 L)`` matrix), then over ``b`` with ``j``
        batched.  In the own layout ``G K G^T`` per sequence.
        """
        if self.own:
            return jnp.einsum("isa,iab,itb->ist", G1, K, G2)
        half = jnp.einsum("isa,iajb->isjb", G1, K)
        return jnp.einsum("isjb,jtb->isjt", half, G2)

    def token_sum(self, K, keepdims=False):
        """Sum over both token axes: ``(n1, n2)`` or ``(n,)``."""
        return K.sum(axis=(1, 2) if self.own else (1, 3), keepdims=keepdims)


def input_state(x1, mask1, x2=None, mask2=None):
    """The state of the raw inputs: token inner products over the features.

    ``nngp[i, s, j, t] = x1[i, s] . x2[j, t] / d`` (neural-tangents'
    ``_inputs_to_kernel``); the NTK of the inputs is zero.  Without ``x2`` the
    state is in the own layout: each sequence of ``x1`` with itself.
    """
    d = x1.shape[-1]
    if x2 is None:
        nngp = jnp.einsum("isc,itc->ist", x1, x1) / d
        mask2 = mask1
    else:
        nngp = jnp.einsum("isc,jtc->isjt", x1, x2) / d
    dtype = x1.dtype
    return KernelState(nngp, jnp.zeros_like(nngp), mask1.astype(dtype), mask2.astype(dtype))
