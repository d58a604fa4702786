"""The canonical transformer kernel, built from flat parameters.

This is one builder on top of the layers; any other composition of
``skattn.kernels`` layers can stand in its place.
"""

from ._activations import ACTIVATIONS, activation as make_activation
from ._attention import SelfAttention
from ._compose import Residual, serial
from ._conv import Conv1D
from ._dense import Dense
from ._layernorm import LayerNorm
from ._pooling import AvgPool1D, GlobalAvgPool

#: Parameters of :func:`transformer` and their defaults (the estimators reuse them).
TRANSFORMER_DEFAULTS = dict(
    n_blocks=2, attention="softmax", scaling="linear", qk_std=1.0, ov_std=1.0,
    positional="none", pos_std=1.0, pos_decay=None, pos_scale=1.0, pos_p_norm=2,
    val_pos_emb=False, layer_norm="post", residual=True, mlp=True,
    activation="relu", w_std=1.0, b_std=0.0, filter_size=1, pool=1,
)


def _sub_block(f, layer_norm, residual):
    """``LN(h + f(h))`` ("post"), ``h + f(LN(h))`` ("pre") or ``h + f(h)`` ("none")."""
    if layer_norm == "pre":
        f = serial(LayerNorm(), f)
    if residual:
        f = Residual(f)
    if layer_norm == "post":
        f = serial(f, LayerNorm())
    return f


def transformer(
    *, n_blocks=2, attention="softmax", scaling="linear", qk_std=1.0, ov_std=1.0,
    positional="none", pos_std=1.0, pos_decay=None, pos_scale=1.0, pos_p_norm=2,
    val_pos_emb=False, layer_norm="post", residual=True, mlp=True,
    activation="relu", w_std=1.0, b_std=0.0, filter_size=1, pool=1,
):
    """The kernel of a transformer encoder with a scalar readout.

    The network is: an embedding (``Dense``, or ``Conv1D`` when ``filter_size >
    1``); average pooling by ``pool``; ``n_blocks`` blocks of self-attention
    and (if ``mlp``) a ``Dense -> activation -> Dense`` sub-block, each wrapped
    in a residual connection and layer normalisation as ``layer_norm`` says;
    a masked mean over tokens; a ``Dense`` readout.  Every ``Dense`` has
    ``w_std`` and ``b_std``.

    Parameters
    ----------
    n_blocks : int, default=2
        Number of attention blocks.
    attention, scaling, qk_std, ov_std, positional, pos_std, pos_decay, \
pos_scale, pos_p_norm, val_pos_emb
        Passed to :class:`SelfAttention` (``b_std`` too).
    layer_norm : {"post", "pre", "none"}, default="post"
        ``LN(h + f(h))``, ``h + f(LN(h))``, or no normalisation.
    residual : bool, default=True
        Whether each sub-block adds its input back.
    mlp : bool, default=True
        Whether each block has the feed-forward sub-block.
    activation : {"relu", "erf", "gelu", "identity"}, default="relu"
        Nonlinearity of the feed-forward sub-block.
    w_std, b_std : float, default=1.0, 0.0
        Weight and bias scales of every Dense layer (and of the convolution).
    filter_size : int, default=1
        Tokens the embedding spans: a ``Conv1D`` with ``padding="same"``, so
        each token is embedded with its neighbours; 1 is a ``Dense`` embedding.
    pool : int, default=1
        Average-pooling factor after the embedding (``AvgPool1D(window=pool,
        padding="same")``): the blocks see ``ceil(L / pool)`` tokens, and each
        attention layer after the first costs ``pool**3`` times less per pair.

    Returns
    -------
    Serial
        A layer; call it as ``k(X1, X2=None, get="nngp")``.

    Examples
    --------
    >>> import numpy as np
    >>> from skattn.kernels import transformer
    >>> X = np.random.default_rng(0).normal(size=(5, 4, 3))
    >>> k = transformer(n_blocks=1, positional="sum")
    >>> k(X, get="nngp").shape
    (5, 5)
    """
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 0:
        raise ValueError(f"n_blocks must be a non-negative integer; got {n_blocks!r}.")
    if layer_norm not in ("post", "pre", "none"):
        raise ValueError(f"layer_norm must be 'post', 'pre' or 'none'; got {layer_norm!r}.")
    for name, value in (("residual", residual), ("mlp", mlp), ("val_pos_emb", val_pos_emb)):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False; got {value!r}.")
    for name, value in (("filter_size", filter_size), ("pool", pool)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}.")

    attn = SelfAttention(
        attention=attention, scaling=scaling, qk_std=qk_std, ov_std=ov_std,
        b_std=b_std, positional=positional, pos_std=pos_std, pos_decay=pos_decay,
        pos_scale=pos_scale, pos_p_norm=pos_p_norm, val_pos_emb=val_pos_emb,
    )
    dense = Dense(w_std=w_std, b_std=b_std)
    block = [_sub_block(attn, layer_norm, residual)]
    if mlp:
        ff = serial(dense, make_activation(activation), dense)
        block.append(_sub_block(ff, layer_norm, residual))
    embedding = [dense if filter_size == 1 else
                 Conv1D(filter_size=filter_size, padding="same", w_std=w_std, b_std=b_std)]
    if pool > 1:
        embedding.append(AvgPool1D(window=pool, padding="same"))
    return serial(*embedding, *(block * n_blocks), GlobalAvgPool(), dense)
