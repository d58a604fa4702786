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

from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np


#: Inner products of token features, by layout: own (True) or cross.
_GRAM = {True: "isc,itc->ist", False: "isc,jtc->isjt"}


class Features(NamedTuple):
    """Token features whose inner products are the kernels.

    While the network is linear in its inputs (Dense, LayerNorm, attention
    with ``scaling="linear"``, residual sums) its kernels are Gram matrices::

        nngp[i, s, j, t] = sum_c left[i, s, c] right[j, t, c]
        ntk[i, s, j, t]  = sum_c weights[c] left[i, s, c] right[j, t, c]

    An attention layer then multiplies the features, ``n L**2 r`` work, instead
    of sandwiching every pair's ``L x L`` kernel, ``n1 n2 L**3``.  The features
    are zero at padding tokens; ``weights`` is a static numpy vector.
    """

    left: jax.Array
    right: jax.Array
    weights: np.ndarray

    @property
    def rank(self):
        return self.left.shape[-1]

    def concat(self, other):
        return Features(jnp.concatenate([self.left, other.left], axis=-1),
                        jnp.concatenate([self.right, other.right], axis=-1),
                        np.concatenate([self.weights, other.weights]))


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
    features : Features or None
        The kernels as Gram matrices of token features, while they are (see
        :class:`Features`); layers that are not linear drop them.

    Every layer keeps the invariant that token-level kernels are zero wherever
    a padding token is involved (neural-tangents' "remasking").
    """

    nngp: jax.Array
    ntk: jax.Array
    mask1: jax.Array
    mask2: jax.Array
    features: Optional[Features] = None

    def with_kernels(self, nngp, ntk, features=None):
        """A state with new kernels; the features are dropped unless given."""
        return self._replace(nngp=nngp, ntk=ntk, features=features)

    def gram(self, features):
        """The kernels ``(nngp, ntk)`` that ``features`` stand for, in this layout."""
        pattern = _GRAM[self.own]
        nngp = jnp.einsum(pattern, features.left, features.right)
        weights = features.weights
        if np.all(weights == weights[0]):
            return nngp, float(weights[0]) * nngp
        ntk = jnp.einsum(pattern, features.left * weights.astype(nngp.dtype), features.right)
        return nngp, ntk

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

    def bias(self, b):
        """``b**2`` between real tokens (everywhere once pooled), 0 at padding:
        the kernels' term of a bias of scale ``b`` (None: no bias, 0).

        Multiplying by the mask keeps the zeros at padding without a Python
        branch on ``b`` (a traced hyperparameter)."""
        if b is None:
            return 0.0
        return b**2 if self.pooled else b**2 * self.pair_mask()

    def variances(self):
        """Per-token variances ``(n, L)`` (``(n,)`` once pooled); own layout only."""
        if not self.own:
            raise ValueError("Variances are read from the own layout.")
        return self.nngp if self.pooled else jnp.diagonal(self.nngp, axis1=1, axis2=2)

    def sandwich(self, G1, K, G2):
        """``out[i, s, j, t] = sum_ab G1[i, s, a] K[i, a, j, b] G2[j, t, b]``.

        In the cross layout two batched matrix products, right first: over
        ``b`` with ``j`` batched, then over ``a`` with ``i`` batched.  In this
        order the second product writes ``(i, s, j, t)`` directly and XLA
        transposes only the products' inputs, in copies of their own; the
        other order leaves the last output transposed, and every elementwise
        consumer then reads it with a stride (a quarter of the time of the
        benchmark workload).  In the own layout ``G K G^T`` per sequence.
        """
        if self.own:
            return jnp.einsum("isa,iab,itb->ist", G1, K, G2)
        half = jnp.einsum("iajb,jtb->iajt", K, G2)
        return jnp.einsum("isa,iajt->isjt", G1, half)

    def token_sum(self, K, keepdims=False):
        """Sum over both token axes: ``(n1, n2)`` or ``(n,)``.

        On the CPU the cross layout's sum runs as two batched products with
        vectors of ones.  XLA's CPU backend hands a plain reduction, and the
        elementwise work that feeds it, to a YNNPACK fusion whose operands
        must have the full shape, so the scalar hyperparameters and per-token
        scales in that work were first written out as ``(n1, L, n2, L)``
        arrays.  As products, that work stays in one ordinary fusion: a tile
        ran 12-32% faster over five architectures (2-core CPU, float32; whole
        kernels: ``benchmarks/token_sums.py``).  Other platforms keep the
        reduction, which their compilers fuse without writing anything out: on
        an H200 the products were within noise of it (1.02x, n=4000, L=32).
        """
        if self.own:
            return K.sum(axis=(1, 2), keepdims=keepdims)
        out = jax.lax.platform_dependent(K, cpu=_sum_by_products,
                                         default=lambda K: K.sum(axis=(1, 3)))
        return out[:, None, :, None] if keepdims else out


def _sum_by_products(K):
    """``K.sum(axis=(1, 3))`` of ``K`` of shape ``(n1, L, n2, L)``, as two batched
    matrix-vector products (see :meth:`KernelState.token_sum`)."""
    n1, length, n2, _ = K.shape
    half = jnp.einsum("isx,is->ix", K.reshape(n1, length, n2 * length),
                      jnp.ones((n1, length), K.dtype))
    return jnp.einsum("ijt,jt->ij", half.reshape(n1, n2, length), jnp.ones((n2, length), K.dtype))


def with_bias(left, right, weights, bias, mask1, mask2):
    """``Features(left, right, weights)`` and a column ``bias * mask`` of NTK
    weight 1: both kernels gain ``bias**2`` between real tokens.

    The column is there whatever a traced ``bias`` is (0 gives a zero column),
    so the features' shape depends on the structure only; None (a bias that is
    structurally 0, see :meth:`Layer.nonzero`) adds none."""
    if bias is None:
        return Features(left, right, np.asarray(weights, dtype=float))
    left = jnp.concatenate([left, bias * mask1[..., None].astype(left.dtype)], axis=-1)
    right = jnp.concatenate([right, bias * mask2[..., None].astype(right.dtype)], axis=-1)
    return Features(left, right, np.append(weights, 1.0).astype(float))


def split_padding(X):
    """NaN-padded sequences ``(n, L, d)`` or ``(n, L)`` -> values with zero
    padding and the token mask ``(n, L)`` in the values' dtype (traceable; no
    checks: NaN features of a real token are read as 0).  The traced
    counterpart of :func:`skattn._inputs.as_sequences`, for
    :meth:`Layer.kernel_fn` and the finite networks' ``apply``."""
    X = jnp.asarray(X)
    if X.ndim == 2:
        X = X[:, :, None]
    padding = jnp.isnan(X).all(axis=-1)
    return jnp.where(jnp.isnan(X), 0, X), (~padding).astype(X.dtype)


def input_state(x1, mask1, x2=None, mask2=None):
    """The state of the raw inputs: token inner products over the features.

    ``nngp[i, s, j, t] = x1[i, s] . x2[j, t] / d`` (neural-tangents'
    ``_inputs_to_kernel``); the NTK of the inputs is zero.  Without ``x2`` the
    state is in the own layout: each sequence of ``x1`` with itself.  Padding
    tokens must be zero in ``x1`` and ``x2``.
    """
    own = x2 is None
    if own:
        x2, mask2 = x1, mask1
    scale = 1 / float(np.sqrt(x1.shape[-1]))
    features = Features(x1 * scale, x2 * scale, np.zeros(x1.shape[-1]))
    nngp = jnp.einsum(_GRAM[own], features.left, features.right)
    dtype = x1.dtype
    return KernelState(nngp, jnp.zeros_like(nngp), mask1.astype(dtype), mask2.astype(dtype),
                       features)
