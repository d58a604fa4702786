"""Multi-head self-attention of finite width (Hron et al. 2020, sec. 2).

Each of ``n_heads`` heads has ``head_width`` query, key and value channels::

    x~    = x + pos_std * P   ("sum")  or  [x, pos_std * P]   ("concat")
    Q_h   = sqrt(qk_std) / sqrt(fan_in) * x~ W_h^Q        (and K_h alike)
    V_h   = sqrt(ov_std) / sqrt(fan_in) * x_v W_h^V       (x_v = x~ if val_pos_emb, else x)
    G_h   = attention(Q_h K_h^T / head_width)              (scaling="linear"; W^K = W^Q)
          = attention(Q_h K_h^T / sqrt(head_width))        (scaling="sqrt"; W^K independent)
    out   = sqrt(ov_std) / sqrt(n_heads head_width) * [G_1 V_1, ..., G_H V_H] W^O + b_std * b

All of ``W, b`` and ``Z`` are standard normal.  The positional embeddings
``P = C Z`` are parameters shared by all sequences, with ``C C^T`` the layer's
positional covariance (:func:`~skattn.kernels._attention.positional_covariance`,
decays included), so ``P`` has that covariance across positions.  With
``scaling="linear"`` the query and key weights are tied, as the kernel assumes:
the logits then converge to ``qk_std * Sigma`` (Hron et al., sec. 3) and the
kernel of :class:`~skattn.kernels.SelfAttention` is the limit of wide heads.
With ``scaling="sqrt"`` the logits stay Gaussian; the kernel is the limit of
many heads, and this network is how :func:`monte_carlo_kernel` estimates it
for every attention map.
"""

import dataclasses

import jax
import jax.numpy as jnp

from ..kernels import SelfAttention
from ..kernels._attention import positional_covariance
from ._base import FiniteLayer, Sizes, counterpart, normal, sublayers

_MAPS = {"identity": lambda x: x, "relu": jax.nn.relu, "abs": jnp.abs}


def covariance_root(layer, length, dtype):
    """``C`` with ``C C^T`` the positional covariance of ``length`` positions."""
    if layer.pos_decay is None:
        return jnp.eye(length, dtype=dtype)
    R = positional_covariance(length, layer.pos_decay, layer.pos_scale, layer.pos_p_norm, dtype)
    values, vectors = jnp.linalg.eigh(R)
    return vectors * jnp.sqrt(jnp.clip(values, 0, None))


@dataclasses.dataclass(frozen=True)
class FiniteSelfAttention(FiniteLayer):
    """Multi-head self-attention with the hyperparameters of ``layer``."""

    layer: SelfAttention = sublayers()
    sizes: Sizes
    maps_channels = True

    @property
    def tied(self):
        """Query and key weights are one matrix with ``1/d`` logits."""
        return self.layer.scaling == "linear"

    def init(self, key, spec, out_width=None):
        a, (_, length, d) = self.layer, spec.shape
        heads, hw = self.sizes.n_heads, self.sizes.head_width
        out = out_width or self.sizes.width
        n_query = 2 * d if a.positional == "concat" else d
        n_value = n_query if a.val_pos_emb else d
        kq, kk, kv, ko, kb, kp = jax.random.split(key, 6)
        params = {
            "q": normal(kq, (heads, n_query, hw), spec.dtype),
            "v": normal(kv, (heads, n_value, hw), spec.dtype),
            "o": normal(ko, (heads * hw, out), spec.dtype),
            "b": normal(kb, (out,), spec.dtype),
        }
        if not self.tied:
            params["k"] = normal(kk, (heads, n_query, hw), spec.dtype)
        if a.positional != "none":
            params["pos"] = normal(kp, (length, d), spec.dtype)
        return params, spec.with_channels(out)

    def _inputs(self, params, x, mask):
        """Queries' and keys' inputs ``x~`` and the values' ``x_v``."""
        a = self.layer
        if a.positional == "none":
            return x, x
        length = x.shape[1]
        if length > params["pos"].shape[0]:
            raise ValueError(f"The positional embeddings were drawn for "
                             f"{params['pos'].shape[0]} positions; got {length}.")
        root = covariance_root(a, params["pos"].shape[0], x.dtype)
        pos = a.pos_std * (root @ params["pos"])[:length]  # rows: a prefix keeps R's law
        pos = pos[None] * mask[..., None]  # padding tokens get no embedding
        mixed = x + pos if a.positional == "sum" else jnp.concatenate(
            [x, jnp.broadcast_to(pos, x.shape)], axis=-1)
        return mixed, (mixed if a.val_pos_emb else x)

    def apply(self, params, x, mask):
        if x.ndim != 3:
            raise ValueError("SelfAttention needs token-level inputs; put it before "
                             "GlobalAvgPool.")
        a, hw = self.layer, self.sizes.head_width
        mixed, values = self._inputs(params, x, mask)

        def project(inputs, weights, std):  # (n, L, c) -> (n, h, L, hw)
            scale = jnp.sqrt(std) / jnp.sqrt(inputs.shape[-1])
            return scale * jnp.einsum("nlc,hcd->nhld", inputs, weights)

        queries = project(mixed, params["q"], a.qk_std)
        keys = queries if self.tied else project(mixed, params["k"], a.qk_std)
        logits = jnp.einsum("nhsd,nhtd->nhst", queries, keys)
        logits = logits / (hw if self.tied else jnp.sqrt(hw))
        real_keys = mask[:, None, None, :] > 0
        if a.attention == "softmax":
            G = jax.nn.softmax(jnp.where(real_keys, logits, -jnp.inf), axis=-1)
        else:
            G = jnp.where(real_keys, _MAPS[a.attention](logits), 0)
        G = G * mask[:, None, :, None]  # padding queries: zero rows
        heads = jnp.einsum("nhst,nhtd->nshd", G, project(values, params["v"], a.ov_std))
        heads = heads.reshape(heads.shape[:2] + (-1,))
        out = jnp.sqrt(a.ov_std) / jnp.sqrt(heads.shape[-1]) * (heads @ params["o"])
        return (out + a.b_std * params["b"]) * mask[..., None]


@counterpart(SelfAttention)
def _attention(layer, sizes):
    return FiniteSelfAttention(layer, sizes)
