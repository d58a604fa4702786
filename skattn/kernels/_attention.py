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

from ._base import Layer
from ._checks import check_nonnegative, check_option
from ._state import outer

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


def sandwich(G1, K, G2):
    """``out[i, s, j, t] = sum_ab G1[i, s, a] K[i, a, j, b] G2[j, t, b]``.

    Two contractions, each one batched matrix product: over ``a`` with ``i``
    batched (``K[i]`` is already an ``(L, n2 L)`` matrix), then over ``b`` with
    ``j`` batched.
    """
    half = jnp.einsum("isa,iajb->isjb", G1, K)
    return jnp.einsum("isjb,jtb->isjt", half, G2)


@dataclasses.dataclass(frozen=True)
class SelfAttention(Layer):
    """Global self-attention with infinitely many heads.

    Parameters
    ----------
    attention : {"softmax", "identity", "relu", "abs"}, default="softmax"
        Map applied to the query-key logits.
    scaling : {"linear", "sqrt"}, default="linear"
        ``1/d`` scaling with tied query and key weights, or ``1/sqrt(d)``
        (closed form only for ``attention="identity"``).
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

    attention: str = "softmax"
    scaling: str = "linear"
    qk_std: float = 1.0
    ov_std: float = 1.0
    b_std: float = 0.0
    positional: str = "none"
    pos_std: float = 1.0
    pos_decay: Optional[str] = None
    pos_scale: float = 1.0
    pos_p_norm: float = 2
    val_pos_emb: bool = False

    def __post_init__(self):
        check_option(self, "attention", MECHANISMS)
        check_option(self, "scaling", ("linear", "sqrt"))
        check_option(self, "positional", POSITIONAL)
        check_option(self, "pos_decay", DECAYS)
        check_nonnegative(self, "qk_std", "ov_std", "b_std", "pos_std", "pos_p_norm")
        if not self.pos_scale > 0:
            raise ValueError(f"SelfAttention: pos_scale must be positive; got {self.pos_scale!r}.")
        if self.scaling == "sqrt" and self.attention != "identity":
            raise ValueError(
                f"attention={self.attention!r} with scaling='sqrt' has no closed-form "
                "kernel. Use scaling='linear' (tied query/key weights, 1/d logits), "
                "or attention='identity' with scaling='sqrt'."
            )

    def _mix(self, state):
        """Inputs mixed with positional covariances: ``(nngp, ntk, cov1, cov2)``."""
        if self.positional == "none":
            return state.nngp, state.ntk, state.cov1, state.cov2
        w_in, w_pos = 1.0, self.pos_std**2
        if self.positional == "concat":  # as many embedding channels as inputs
            w_in, w_pos = w_in / 2, w_pos / 2
        m1, m2 = state.mask1, state.mask2
        R = positional_covariance(state.nngp.shape[-1], self.pos_decay, self.pos_scale,
                                  self.pos_p_norm, state.nngp.dtype)
        R12 = R[None, :, None, :] * outer(m1, m2)
        return (w_in * state.nngp + w_pos * R12,
                w_in * state.ntk + w_pos * R12,
                w_in * state.cov1 + w_pos * R * (m1[:, :, None] * m1[:, None, :]),
                w_in * state.cov2 + w_pos * R * (m2[:, :, None] * m2[:, None, :]))

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

    def apply(self, state):
        if state.pooled:
            raise ValueError("SelfAttention needs token-level kernels; "
                             "put it before GlobalAvgPool.")
        mixed = self._mix(state)
        if self.scaling == "linear":
            out = self._linear(state, mixed)
        else:
            out = self._sqrt_identity(state, mixed)
        # Padding entries are zero already, but for the bias.
        return out.remasked() if self.b_std else out

    def _linear(self, state, mixed):
        nngp_m, ntk_m, cov1_m, cov2_m = mixed
        G1 = self._weights(cov1_m, state.mask1)
        G2 = self._weights(cov2_m, state.mask2)
        if self.val_pos_emb:
            values = mixed
        else:
            values = (state.nngp, state.ntk, state.cov1, state.cov2)
        ov2, b2 = self.ov_std**2, self.b_std**2
        nngp = ov2 * sandwich(G1, values[0], G2) + b2
        ntk = ov2 * sandwich(G1, values[1], G2) + b2 + 2 * (nngp - b2)

        def self_sandwich(G, cov):
            return ov2 * jnp.einsum("isa,iab,itb->ist", G, cov, G) + b2

        return state._replace(nngp=nngp, ntk=ntk,
                              cov1=self_sandwich(G1, values[2]),
                              cov2=self_sandwich(G2, values[3]))

    def _sqrt_identity(self, state, mixed):
        nngp_m, ntk_m, cov1_m, cov2_m = mixed

        def inner(a, b):  # sum over token pairs: axes (s, t) of (i, s, j, t) or (i, s, t)
            return jnp.sum(a * b, axis=(1, 3) if a.ndim == 4 else (1, 2), keepdims=True)

        own = mixed if self.val_pos_emb else (state.nngp, state.ntk, state.cov1, state.cov2)
        s2, b2 = (self.qk_std * self.ov_std) ** 2, self.b_std**2
        dot12 = inner(nngp_m, own[0])
        if self.val_pos_emb or self.positional == "none":
            cross = 2 * inner(nngp_m, ntk_m)
        else:
            cross = inner(nngp_m, state.ntk) + inner(state.nngp, ntk_m)
        return state._replace(
            nngp=s2 * dot12 * nngp_m + b2,
            ntk=s2 * (cross * nngp_m + dot12 * (ntk_m + 4 * nngp_m)) + b2,
            cov1=s2 * inner(cov1_m, own[2]) * cov1_m + b2,
            cov2=s2 * inner(cov2_m, own[3]) * cov2_m + b2,
        )
