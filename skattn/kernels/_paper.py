"""The network the paper's authors used for their IMDb experiment."""

from ._activations import Relu
from ._attention import SelfAttention
from ._compose import serial
from ._conv import Conv1D
from ._dense import Dense
from ._pooling import GlobalAvgPool


def paper_imdb(*, filter_size=9, qk_std=1.0, pos_std=1.0):
    """The kernel of the IMDb network of neural-tangents' ``examples/imdb.py``.

    Hron et al. (2020) ran their variable-length text experiment with::

        Conv1D(filter_size=9, padding="valid") -> Relu
        -> SelfAttention(softmax, positional="sum", decay 1 / (1 + |s - t|**4))
        -> Relu -> GlobalAvgPool -> Dense

    neural-tangents writes the decay as ``1 / (1 + d**2)`` of the distance
    ``d = |s - t| ** pos_emb_p_norm`` with ``pos_emb_p_norm=2``; here it is
    ``pos_decay="inverse"`` with ``pos_p_norm=4``.  No layer has a bias.

    Parameters
    ----------
    filter_size : int, default=9
        Width of the convolution; sequences need at least this many tokens.
    qk_std : float, default=1.0
        Query-key weight scale of the attention layer.
    pos_std : float, default=1.0
        Scale of the positional embeddings.

    Returns
    -------
    Serial
        A layer; pass it as an estimator's ``architecture`` or call it as
        ``k(X1, X2=None, get="nngp")``.

    Examples
    --------
    >>> import numpy as np
    >>> from skattn.kernels import paper_imdb
    >>> X = np.random.default_rng(0).normal(size=(4, 12, 5))
    >>> paper_imdb()(X).shape
    (4, 4)
    """
    attention = SelfAttention(qk_std=qk_std, positional="sum", pos_std=pos_std,
                              pos_decay="inverse", pos_p_norm=4)
    return serial(Conv1D(filter_size=filter_size, padding="valid"), Relu(), attention, Relu(),
                  GlobalAvgPool(), Dense())
