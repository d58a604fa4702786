"""Finite-width networks: the sampled-weights face of the kernel layers.

Every kernel layer of :mod:`skattn.kernels` has a finite counterpart here,
built *from* the kernel layer, so that its hyperparameters (``w_std``,
``qk_std``, ...) live in one place: the finite layer reads them from the
kernel layer it wraps and adds only what the infinite limit has no use for,
the widths.  The parameterisation is the NTK one (Jacot et al. 2018): every
parameter is a standard normal draw, and a layer multiplies its weights by
``std / sqrt(fan_in)``, so that the kernels of :mod:`skattn.kernels` are the
limits of the finite networks' output covariance (NNGP) and of the inner
products of their parameter gradients (NTK) as the widths grow.

Finite layers and networks are pytrees by the kernel layers' mechanism
(:mod:`skattn.kernels._base`): the kernel layer a finite layer wraps, and the
finite layers of a composition, are children, so the float hyperparameters are
leaves that ``jax.jit`` traces; the widths, the sizes and the strings are
static.  A new ``w_std`` is not a new compilation.
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..kernels import Layer, sublayers
from ..kernels._base import register_pytree
from ..kernels._state import split_padding


class Sizes(NamedTuple):
    """The widths of a finite network: what the kernels' infinite limit forgets.

    Attributes
    ----------
    width : int
        Channels of every Dense, Conv1D and attention output.
    n_heads : int
        Attention heads.
    head_width : int
        Query, key and value channels of each head.
    """

    width: int
    n_heads: int
    head_width: int


@dataclasses.dataclass(frozen=True)
class FiniteLayer:
    """A layer of finite width, the counterpart of a kernel layer.

    Subclasses are frozen dataclasses and implement :meth:`init` and
    :meth:`apply`; every subclass is a pytree, its kernel layer (and finite
    sublayers) declared with :func:`~skattn.kernels.sublayers` as children,
    its other fields (sizes) static.  Code in :meth:`apply` uses the
    hyperparameters arithmetically: they are traced.  Token-level activations
    have shape ``(n, L, c)`` and are zero at padding tokens; after global
    pooling they are ``(n, c)``.
    """

    #: Whether the layer chooses its number of output channels (Dense, attention).
    maps_channels = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_pytree(cls)

    def init(self, key, shape, out_width=None):
        """Draw the parameters for inputs of ``shape``; return ``(params, output shape)``.

        ``out_width`` asks a layer that maps channels for that many outputs
        (None: the network's ``width``).
        """
        return (), shape

    def apply(self, params, x, mask):
        """The outputs for activations ``x`` and token mask ``mask`` ``(n, L)``."""
        raise NotImplementedError

    def out_mask(self, mask):
        """The token mask of the outputs (layers that keep the tokens return ``mask``)."""
        return mask


#: Kernel layer class -> function ``(layer, sizes) -> FiniteLayer``.
_COUNTERPARTS = {}


def counterpart(kernel_class):
    """Register the decorated builder as the finite counterpart of ``kernel_class``."""
    def register(builder):
        _COUNTERPARTS[kernel_class] = builder
        return builder
    return register


def build(layer, sizes):
    """The finite counterpart of the kernel layer ``layer`` (subclasses included)."""
    for cls in type(layer).__mro__:
        if cls in _COUNTERPARTS:
            return _COUNTERPARTS[cls](layer, sizes)
    raise TypeError(
        f"{type(layer).__name__} has no finite-width counterpart; register one with "
        "skattn.networks.counterpart."
    )


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


@register_pytree
@dataclasses.dataclass(frozen=True)
class Network:
    """A finite-width network, sampled and applied functionally.

    Build it with :func:`finite`.  ``params = net.init(key, X)`` draws the
    parameters (a pytree of standard normal arrays) for sequences shaped like
    ``X``; ``net.apply(params, X)`` runs the network.  A network is a pytree:
    pass it to a jitted function as an argument, and networks that differ in
    their float hyperparameters only share one compilation (the widths and
    the layers' structure are static).

    Attributes
    ----------
    layer : Layer
        The kernel layer this network is the finite counterpart of.
    root : FiniteLayer
        Its finite layers.
    out_width : int
        Output channels.
    """

    layer: Layer = sublayers()
    root: FiniteLayer = sublayers()
    out_width: int

    def init(self, key, X):
        """Draw parameters for sequences shaped like ``X``.

        Parameters
        ----------
        key : jax.Array
            A ``jax.random.key``.
        X : array-like of shape (n, L, d) or (n, L)
            Sequences (only the shape and dtype are read).  Positional
            embeddings are drawn for ``L`` positions: apply the network to
            sequences of at most ``L`` tokens.

        Returns
        -------
        params : pytree of jax.Array
        """
        shape = np.shape(X)
        shape = shape + (1,) if len(shape) == 2 else shape
        if len(shape) != 3:
            raise ValueError(f"X must have shape (n, L, d) or (n, L); got {np.shape(X)}.")
        dtype = getattr(X, "dtype", None)
        dtype = dtype if dtype is not None and jnp.issubdtype(dtype, jnp.floating) else float
        dtype = jax.dtypes.canonicalize_dtype(dtype)
        spec = ShapeDtype(shape, dtype)
        found = {}

        def draw(k):  # the parameters' shapes; the output's shape on the side
            params, found["out"] = self.root.init(k, spec, self.out_width)
            return params

        shapes, out = jax.eval_shape(draw, key), found["out"]
        if out.shape[-1] != self.out_width:
            raise ValueError(
                f"The network ends with {out.shape[-1]} channels and no layer that "
                f"maps channels to give out_width={self.out_width}; end it with a Dense."
            )
        # One draw for all parameters, cut to the layers' shapes: the same law as
        # a draw per array, and a far smaller program to compile.
        leaves, tree = jax.tree.flatten(shapes)
        flat = jax.random.normal(key, (sum(leaf.size for leaf in leaves),), dtype)
        ends = np.cumsum([leaf.size for leaf in leaves])[:-1]
        parts = jnp.split(flat, ends) if leaves else []
        return jax.tree.unflatten(tree, [p.reshape(leaf.shape) for p, leaf in zip(parts, leaves)])

    def apply(self, params, X):
        """Outputs ``(n, out_width)`` (``(n, L, out_width)`` without pooling) of ``X``.

        Padding tokens (all-NaN) are masked as the kernels mask them: they get
        no attention and are left out of the pooling.
        """
        # as an array: a nested list would reach jit as a leaf per number
        return _apply(self, params, jnp.asarray(X))


@jax.jit
def _apply(network, params, X):
    """:meth:`Network.apply` as one program: run op by op, a transformer's forward
    pass compiled some sixty one-op programs for each new input shape."""
    values, mask = split_padding(X)
    return network.root.apply(params, values, mask)


class ShapeDtype(NamedTuple):
    """The shape and dtype of a layer's inputs, as :meth:`FiniteLayer.init` sees them."""

    shape: tuple
    dtype: object

    def with_channels(self, channels):
        return ShapeDtype(self.shape[:-1] + (channels,), self.dtype)


def normal(key, shape, dtype):
    """Standard normal parameters."""
    return jax.random.normal(key, shape, dtype)


def weights_and_bias(key, fan_in_shape, out, dtype):
    """Standard normal ``{"w": fan_in_shape + (out,), "b": (out,)}`` of an affine map."""
    kw, kb = jax.random.split(key)
    return {"w": normal(kw, tuple(fan_in_shape) + (out,), dtype), "b": normal(kb, (out,), dtype)}


def finite(layer, *, width, n_heads=1, head_width=None, out_width=1):
    """The finite-width network whose kernels ``layer`` computes in the limit.

    Parameters
    ----------
    layer : Layer
        A kernel layer or composition of :mod:`skattn.kernels` (for example
        :func:`~skattn.kernels.transformer`); its hyperparameters are read
        from it, not copied.
    width : int
        Channels of every Dense, Conv1D and attention output (the last one's is
        ``out_width``).
    n_heads : int, default=1
        Heads of every attention layer.
    head_width : int or None, default=None
        Query, key and value channels per head; None is
        ``max(1, width // n_heads)``, as in a standard transformer.
    out_width : int, default=1
        Channels of the last layer that maps channels (the readout).

    Returns
    -------
    Network

    Examples
    --------
    >>> import jax, numpy as np
    >>> from skattn.kernels import transformer
    >>> from skattn.networks import finite
    >>> X = np.random.default_rng(0).normal(size=(5, 4, 3))
    >>> net = finite(transformer(n_blocks=1), width=16, n_heads=2)
    >>> params = net.init(jax.random.key(0), X)
    >>> net.apply(params, X).shape
    (5, 1)
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a skattn.kernels layer; got {layer!r}.")
    width = _positive_int("width", width)
    n_heads = _positive_int("n_heads", n_heads)
    head_width = max(1, width // n_heads) if head_width is None else \
        _positive_int("head_width", head_width)
    out_width = _positive_int("out_width", out_width)
    return Network(layer, build(layer, Sizes(width, n_heads, head_width)), out_width)
