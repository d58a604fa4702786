"""Multi-head self-attention in the infinite-heads limit (Hron et al. 2020).

With ``scaling="linear"`` the query and key weights are tied and their dot
products are scaled by ``1/d``: the attention logits then converge to the
deterministic ``qk_std * Sigma(x)``, where ``Sigma`` is the sequence's own
token covariance (with positional embeddings mixed in), and the layer's output
kernel is a sandwich of the value kernel between attention matrices
(Hron et al. 2020, sec. 3, "d^-1 scaling")::

    G_i   = attention(qk_std * Sigma_i)                    # (L, L) per sequence
    nngp' = ov_std**2 * G_i  nngp_ij G_j^T + b_std**2
    ntk'  = ov_std**2 * G_i  ntk_ij  G_j^T + b_std**2 + 2 (nngp' - b_std**2)

With ``scaling="sqrt"`` (the usual ``1/sqrt(d)``) only the identity mechanism has
a closed form: the logits stay Gaussian and (sec. 3, "d^-1/2 scaling")::

    nngp'[s, t] = (qk_std ov_std)**2 * <K, K_v> * K[s, t] + b_std**2

where ``K`` is the interpolated input kernel and ``<., .>`` sums over token pairs.
The formulas follow neural-tangents' ``stax.GlobalSelfAttention``.
"""

import dataclasses
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np

from ._base import Layer, hyperparameter
from ._checks import check_option
from ._state import Features, with_bias

MECHANISMS = ("softmax", "identity", "relu", "abs")
POSITIONAL = ("none", "sum", "concat")
DECAYS = (None, "exp", "inverse")


def positional_covariance(length, decay, scale, p_norm, dtype):
    """Covariance of the positional embeddings of ``length`` positions.

    ``decay=None``: independent embeddings (the identity).  Otherwise a function
    of ``d = |s - t| ** p_norm``: ``"exp"`` gives ``exp(-d / scale)`` and
    ``"inverse"`` gives ``1 / (1 + d / scale)``.
    """
    pos = jnp.arange(length, dtype=dtype)
    if decay is None:
        return jnp.eye(length, dtype=dtype)
    dist = jnp.abs(pos[:, None] - pos[None, :]) ** p_norm
    if decay == "exp":
        return jnp.exp(-dist / scale)
    return 1 / (1 + dist / scale)


def features_pay(rank, state):
    """Whether attention on token features of ``rank`` is cheaper than the sandwich.

    Per pair of sequences, the sandwich costs two ``L x L x L`` products for
    each kernel, ``4 L**3`` for the NNGP and the NTK.  The features route
    costs the attention products of the features, ``L**2 rank`` per sequence
    and side, and the two Gram matrices that later give the kernels,
    ``2 L**2 rank``.  A tile pair of ``n1 x n2`` sequences shares a sequence's
    products among the ``n2`` (or ``n1``) pairs it is in, so the features pay
    while ``rank (1 / n1 + 1 / n2 + 2) <= 4 L``: ``rank <= L`` in the own
    layout (one sequence with itself) and up to ``2 L`` for large tiles.
    Measured (2-core CPU, float32, NNGP+NTK): the bound admits what it should
    (``transformer(positional="sum", val_pos_emb=True)``, d=16: n=400, L=32
    1.88 -> 1.36 s; n=100, L=128, one block 2.00 -> 0.95 s) and keeps ACSF1
    pooled to 365 tokens on the sandwich, where tiles of one sequence made
    the features 35% slower.
    """
    length = state.mask1.shape[1]
    n1, n2 = (1, 1) if state.own else (state.mask1.shape[0], state.mask2.shape[0])
    return rank * (n1 + n2 + 2 * n1 * n2) <= 4 * length * n1 * n2


@dataclasses.dataclass(frozen=True)
class SelfAttention(Layer):
    """Global self-attention with infinitely many heads.

    Parameters
    ----------
    attention : {"softmax", "identity", "relu", "abs"}, default="softmax"
        Map applied to the query-key logits.
    scaling : {"linear", "sqrt"}, default="linear"
        ``1/d`` scaling with tied query and key weights, or ``1/sqrt(d)``
        (closed form only for ``attention="identity"``; the others are
        estimated by :func:`skattn.networks.monte_carlo_kernel`).
    qk_std, ov_std : float, default=1.0
        Weight scales; the kernel depends on the query-key product and the
        output-value product only.
    b_std : float, default=0.0
        Output bias scale.
    positional : {"none", "sum", "concat"}, default="none"
        Random positional embeddings added to or concatenated with the tokens
        (concatenation halves both contributions).
    pos_std : float, default=1.0
        Scale of the positional embeddings.
    pos_decay : {None, "exp", "inverse"}, default=None
        Covariance of the embeddings across positions; None is the identity.
    pos_scale : float, default=1.0
        Length scale of the decay.
    pos_p_norm : float, default=2
        Power ``p`` of the distance ``|s - t| ** p``.
    val_pos_emb : bool, default=False
        Whether the values see the positional embeddings too.
    """

    keeps_features = True

    attention: str = "softmax"
    scaling: str = "linear"
    qk_std: float = hyperparameter(1.0)
    ov_std: float = hyperparameter(1.0)
    b_std: float = hyperparameter(0.0, zero_is_structure=True)
    positional: str = "none"
    pos_std: float = hyperparameter(1.0)
    pos_decay: Optional[str] = None
    pos_scale: float = hyperparameter(1.0, positive=True)
    pos_p_norm: float = hyperparameter(2.0)
    val_pos_emb: bool = False

    def __post_init__(self):
        super().__post_init__()
        check_option(self, "attention", MECHANISMS)
        check_option(self, "scaling", ("linear", "sqrt"))
        check_option(self, "positional", POSITIONAL)
        check_option(self, "pos_decay", DECAYS)

    def _scales(self):
        """``(c_in, c_pos)``: the values and keys see ``c_in x + c_pos p`` for
        tokens ``x`` and embeddings ``p``; concatenation (as many embedding
        channels as inputs) halves both contributions to the kernels."""
        if self.positional == "concat":
            return 0.5**0.5, self.pos_std * 0.5**0.5
        return 1.0, self.pos_std

    def _covariance(self, state):
        """The positional embeddings' covariance ``R`` over ``state``'s token positions."""
        return positional_covariance(state.mask1.shape[1], self.pos_decay, self.pos_scale,
                                     self.pos_p_norm, state.nngp.dtype)

    def _mix(self, state):
        """The state with positional covariances mixed into the token kernels."""
        if self.positional == "none":
            return state
        c_in, c_pos = self._scales()
        w_in, w_pos = c_in**2, c_pos**2
        R = self._covariance(state)
        pos = w_pos * (R[None] if state.own else R[None, :, None, :]) * state.pair_mask()
        return state.with_kernels(w_in * state.nngp + pos, w_in * state.ntk + pos)

    def _value_features(self, state):
        """Features of the values' kernels, or None.

        With ``val_pos_emb`` the values' kernels gain ``w_pos R[s, t]`` between
        real tokens (:meth:`_mix`).  That term is the Gram matrix of an
        asymmetric pair of features: the rows of ``R`` on one side and the
        identity on the other, ``sum_a m1[s] R[s, a] m2[t] delta[t, a]``, so no
        factorisation of ``R`` is needed (and none of its derivatives).
        """
        features = state.features
        if features is None or not self.val_pos_emb or self.positional == "none":
            return features
        c_in, c_pos = self._scales()
        R = self._covariance(state)
        pos = Features(c_pos * state.mask1[:, :, None] * R,
                       c_pos * state.mask2[:, :, None] * jnp.eye(len(R), dtype=R.dtype),
                       np.ones(len(R)))
        return Features(c_in * features.left, c_in * features.right, features.weights).concat(pos)

    def _weights(self, cov, mask):
        """Deterministic attention matrices ``G = attention(qk_std * cov)``.

        Padding keys get no weight; padding queries get a zero row, so that
        the sandwiches below are zero wherever a padding token is involved.
        """
        logits = self.qk_std * cov
        keys = mask[:, None, :] > 0
        if self.attention == "softmax":
            G = jax.nn.softmax(jnp.where(keys, logits, -jnp.inf), axis=-1)
        else:
            fn = {"identity": lambda x: x, "relu": jax.nn.relu, "abs": jnp.abs}[self.attention]
            G = jnp.where(keys, fn(logits), 0)
        return G * mask[:, :, None]

    @property
    def has_closed_form(self):
        """False for ``scaling="sqrt"`` with an attention other than the identity:
        its kernel is a Gaussian-process limit with no closed form, estimated by
        :func:`skattn.networks.monte_carlo_kernel` instead."""
        return self.scaling == "linear" or self.attention == "identity"

    def _check_tokens(self, state):
        if not self.has_closed_form:
            raise ValueError(
                f"attention={self.attention!r} with scaling='sqrt' has no closed-form "
                "kernel. Estimate it by Monte Carlo: skattn.networks.monte_carlo_kernel("
                "layer, X, width=..., n_samples=...), or kernel_method='monte_carlo' in "
                "the estimators; or use scaling='linear' (tied query/key weights, 1/d "
                "logits), or attention='identity' with scaling='sqrt'."
            )
        if state.pooled:
            raise ValueError("SelfAttention needs token-level kernels; "
                             "put it before GlobalAvgPool.")

    def side(self, own):
        """The attention matrices ``(n, L, L)`` (``scaling="linear"``), else None."""
        self._check_tokens(own)
        if self.scaling != "linear":
            return None
        return self._weights(self._mix(own).nngp, own.mask1)

    def apply(self, state, side1, side2):
        self._check_tokens(state)
        if self.scaling == "linear":
            return self._linear(state, side1, side2)
        return self._sqrt_identity(state)

    def _linear(self, state, G1, G2):
        features = self._value_features(state)
        if features is not None and features_pay(features.rank, state):
            # The values' features times the attention matrices (sec. 3 with
            # nngp = F1 F2^T): n L**2 r work instead of n1 n2 L**3.
            features = with_bias(
                self.ov_std * jnp.einsum("isa,iac->isc", G1, features.left),
                self.ov_std * jnp.einsum("isa,iac->isc", G2, features.right),
                features.weights + 2, self.nonzero("b_std"), state.mask1, state.mask2)
            return state.with_kernels(*state.gram(features), features)
        values = self._mix(state) if self.val_pos_emb else state
        ov2, bias = self.ov_std**2, state.bias(self.nonzero("b_std"))  # zero at padding
        nngp = ov2 * state.sandwich(G1, values.nngp, G2) + bias
        ntk = ov2 * state.sandwich(G1, values.ntk, G2) + bias + 2 * (nngp - bias)
        return state.with_kernels(nngp, ntk)

    def _sqrt_identity(self, state):
        mixed = self._mix(state)
        own = mixed if self.val_pos_emb else state

        def inner(a, b):  # sum over token pairs, broadcast back
            return state.token_sum(a * b, keepdims=True)

        s2, bias = (self.qk_std * self.ov_std) ** 2, state.bias(self.nonzero("b_std"))
        dot12 = inner(mixed.nngp, own.nngp)
        if self.val_pos_emb or self.positional == "none":
            cross = 2 * inner(mixed.nngp, mixed.ntk)
        else:
            cross = inner(mixed.nngp, state.ntk) + inner(state.nngp, mixed.ntk)
        return state.with_kernels(
            s2 * dot12 * mixed.nngp + bias,
            s2 * (cross * mixed.nngp + dot12 * (mixed.ntk + 4 * mixed.nngp)) + bias,
        )
