"""The layer base class: a pure map from one kernel state to the next.

Structure and values
--------------------
A layer is a frozen dataclass and, as in equinox, a JAX pytree whose fields
are of two sorts:

* *values*: the float hyperparameters, declared with :func:`hyperparameter`,
  and the sub-layers of a composition, declared with :func:`sublayers`.  They
  are the pytree's leaves (children), so ``jax.jit`` traces them and
  ``jax.grad`` differentiates through them;
* *structure*: every other field (strings, booleans, sizes).  It is the
  pytree's static auxiliary data, part of the jit's cache key.

So the engine compiles once per structure, token count, width and dtype: a new
``qk_std`` reuses the compiled kernel.  Code inside :meth:`Layer.apply` must
therefore use hyperparameters arithmetically (``b_std**2 * mask``), never in a
Python branch (``if self.b_std:``); branches are on structure only.

One value is structure: exactly 0 for a field declared with
``hyperparameter(0.0, zero_is_structure=True)`` (the biases).  The pytree's
static data records which such fields are a concrete 0, and :meth:`Layer.nonzero`
gives None for them, so the layer leaves the term out (its kernel term
``b_std**2`` and that term's derivative are both 0 there).  A zero bias and a
non-zero one compile apart; every non-zero value shares one compilation.  On
the 2-core CPU, ``benchmarks/kernel_throughput.py`` (n=400, L=32, float32) took
1.45-1.60 s without the zero terms against 1.62-1.78 s computing them (four
runs each, alternated).

Values are checked at construction when they are concrete (numbers); a layer
rebuilt from traced leaves (inside ``jit`` or ``grad``) is not checked again.
"""

import dataclasses
import numbers

import jax
import numpy as np

_KIND = "skattn_field"  # the dataclass field metadata key: "hyperparameter" or "sublayers"


def hyperparameter(default, *, positive=False, zero_is_structure=False):
    """A float field that the jit traces: a leaf of the layer's pytree.

    Parameters
    ----------
    default : float
    positive : bool, default=False
        Whether the value must be positive (else non-negative); checked at
        construction when the value is concrete.
    zero_is_structure : bool, default=False
        Whether a concrete 0 is structure (see the module docstring and
        :meth:`Layer.nonzero`).
    """
    return dataclasses.field(default=default,
                             metadata={_KIND: "hyperparameter", "positive": positive,
                                       "zero_is_structure": zero_is_structure})


def sublayers(**kwargs):
    """A field holding layers (a layer or a tuple of them): a subtree of the pytree."""
    return dataclasses.field(metadata={_KIND: "sublayers"}, **kwargs)


def _concrete(value):
    """``float(value)``, or None when ``value`` is traced (inside jit or grad)."""
    if isinstance(value, jax.Array):
        try:
            return float(value)
        except jax.errors.ConcretizationTypeError:
            return None
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.ndarray)) \
            or np.ndim(value) != 0:
        raise TypeError
    return float(value)


def _number(value):
    """``float(value)``, or None when it is traced or not a number."""
    try:
        return _concrete(value)
    except (TypeError, ValueError):
        return None


def _zero_fields(layer, recorded=None):
    """Names of the ``zero_is_structure`` fields of ``layer`` that are a structural 0.

    Without ``recorded``: those a layer rebuilt by :func:`_unflatten` holds, else
    those whose value is a concrete 0.  With ``recorded`` (the names in the
    pytree's static data): those of them whose leaf is not a concrete non-zero
    number (see :func:`_unflatten`).
    """
    if recorded is None and hasattr(layer, "_zeros"):
        return layer._zeros
    names = (field.name for field in dataclasses.fields(layer)
             if field.metadata.get("zero_is_structure"))
    if recorded is None:
        return tuple(name for name in names if _number(getattr(layer, name)) == 0)
    return tuple(name for name in names
                 if name in recorded and _number(getattr(layer, name)) in (None, 0))


def _flatten(layer):
    """``((key, value) of each leaf field), (names of the leaf fields, static fields,
    names of the fields whose 0 is structure and is there)``."""
    values, static = [], []
    for field in dataclasses.fields(layer):
        target = values if field.metadata.get(_KIND) else static
        target.append((field.name, getattr(layer, field.name)))
    children = [(jax.tree_util.GetAttrKey(name), value) for name, value in values]
    return children, (tuple(name for name, _ in values), tuple(static), _zero_fields(layer))


def _unflatten(cls, aux, leaves):
    """Rebuild without ``__init__``: leaves may be tracers or JAX's placeholders.

    A ``zero_is_structure`` field is a structural 0 where the static data
    records one, unless its leaf is a concrete non-zero number: a layer whose
    leaves were mapped to new numbers never drops a bias it now has.  (A
    concrete 0 where the data records none stays a traced value, so that
    trees of gradients, whose leaves are any numbers, keep one structure.)"""
    names, static, zeros = aux
    layer = object.__new__(cls)
    for name, value in (*zip(names, leaves), *static):
        object.__setattr__(layer, name, value)
    object.__setattr__(layer, "_zeros", _zero_fields(layer, recorded=zeros))
    return layer


def register_pytree(cls):
    """Register the frozen dataclass ``cls`` as a pytree: its :func:`hyperparameter`
    and :func:`sublayers` fields are the children, the other fields static."""
    jax.tree_util.register_pytree_with_keys(
        cls, _flatten, lambda aux, leaves: _unflatten(cls, aux, leaves))
    return cls


@dataclasses.dataclass(frozen=True)
class Layer:
    """A layer of an infinitely wide network, seen through its kernels.

    Subclasses are frozen dataclasses and implement :meth:`apply`, and
    :meth:`side` if the map needs per-sequence quantities.  Float
    hyperparameters are declared with :func:`hyperparameter`, nested layers
    with :func:`sublayers`; the other fields are the structure and must be
    hashable (see the module docstring).  Every subclass is registered as a
    pytree; one that overrides ``__post_init__`` calls ``super().__post_init__()``
    so that its hyperparameters are checked.

    The kernel between two sequences depends on each sequence's own kernel
    through per-sequence *side* quantities only (attention matrices, token
    variances), so evaluation has two passes: :meth:`walk` runs the network on
    each sequence with itself, once, and collects the sides; then
    :meth:`apply` maps the cross kernels of every pair of sequences, given the
    sides of both.

    While the network is linear, the state also carries the kernels as token
    features (:class:`KernelState`); a layer that maps them sets
    ``keeps_features = True``, and compositions drop them after any other.

    Calling a layer (or a composition) on data evaluates its kernel::

        k = serial(Dense(), Relu(), GlobalAvgPool(), Dense())
        gram = k(X1, X2, get="nngp")
    """

    #: Whether :meth:`apply` maps the state's features (else they are dropped).
    keeps_features = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        register_pytree(cls)

    def __post_init__(self):
        for field in dataclasses.fields(self):
            if field.metadata.get(_KIND) != "hyperparameter":
                continue
            value = getattr(self, field.name)
            try:
                number = _concrete(value)
            except (TypeError, ValueError):
                number = np.nan
            if number is None:
                continue
            positive = field.metadata["positive"]
            if not (number > 0 if positive else number >= 0):
                must = "be positive" if positive else "be a non-negative number"
                raise ValueError(
                    f"{type(self).__name__}: {field.name} must {must}; got {value!r}.")

    def nonzero(self, name):
        """Hyperparameter ``name``, or None where it is structurally 0
        (``zero_is_structure``): :meth:`apply` then leaves its term out."""
        return None if name in _zero_fields(self) else getattr(self, name)

    def side(self, own):
        """Per-sequence quantities :meth:`apply` needs, from the own-layout
        input state ``own``: a pytree of arrays with a leading sequence axis,
        or None."""
        return None

    def apply(self, state, side1, side2):
        """Map the kernel state of the inputs to that of the outputs.

        ``state`` is in the cross or the own layout (see :class:`KernelState`);
        ``side1`` and ``side2`` are :meth:`side` of the two batches' sequences.
        """
        raise NotImplementedError

    def out_mask(self, mask):
        """The token mask of the outputs from that of the inputs, ``(n, L)`` bool
        numpy arrays: what the engine checks before computing (a sequence that
        windows leave without a real token is an error naming it).  Layers
        that keep the tokens return ``mask``."""
        return mask

    def walk(self, own):
        """The own-layout pass: ``(output state, side)`` of each sequence with itself."""
        side = self.side(own)
        return self.apply(own, side, side), side

    def __call__(self, X1, X2=None, *, get="nngp", batch_size="auto",
                 device=None, progress=None, n_jobs=None, out=None, precision="highest"):
        """Evaluate the kernel between two batches of padded sequences.

        Parameters
        ----------
        X1 : array-like of shape (n1, L, d) or (n1, L)
            Sequences padded with all-NaN tokens.
        X2 : array-like of shape (n2, L2, d) or (n2, L2), default=None
            None means ``X1`` against itself.
        get : {"nngp", "ntk"} or tuple of them, default="nngp"
            Which kernel(s) to return; a tuple gives a dict.
        batch_size : int or "auto", default="auto"
            Sequences a side of the tiles the pairs are cut into; memory grows
            as ``batch_size**2 * L**2``.  "auto" chooses it for the device: a
            tile near 2**18 token pairs on a CPU, 2**28 on a GPU or TPU, within
            half the device's memory.  Any n1 and n2 work; a value above what the kernel needs
            (the next power of two of n2) is lowered to it.
        device : str, jax.Device or None, default=None
            Pin the computation to one device: a name such as "cpu", "gpu" or
            "gpu:1" (picklable, so it also reaches ``n_jobs`` workers) or a
            device; None spreads tiles over all of ``jax.devices()``.
        progress : bool or None, default=None
            Show a progress bar; None shows one for long computations only.
        n_jobs : int or None, default=None
            Workers for ``joblib.Parallel``: None computes in this process (or
            follows an active ``joblib.parallel_config``, e.g. a Dask backend).
        out : str, path, dict or None, default=None
            Write the kernel into a ``.npy`` memory map at this path (a dict
            ``{kind: path}`` when ``get`` is a tuple) and return the map.
        precision : {"highest", "high", "default"}, default="highest"
            Precision of the matrix products (``jax.default_matmul_precision``).
            "default" is the platform's fastest: TF32 on recent NVIDIA GPUs,
            1.3x faster on an H200, with float32 kernels up to 2e-4 relative
            from float64 instead of 1e-5.  The same on a CPU.

        Returns
        -------
        ndarray of shape (n1, n2), or dict of them
        """
        from ._engine import Engine

        engine = Engine(batch_size=batch_size, device=device, n_jobs=n_jobs,
                        precision=precision, progress=progress)
        return engine.kernel(self, X1, X2, get=get, out=out)

    def kernel_fn(self, x1, x2=None, *, get="nngp", precision="highest"):
        """The kernel as one JAX function of arrays: jit, grad and vmap go through it.

        The same kernels as calling the layer, computed in one piece instead of
        tiles, with no validation and no copy to the host: a function for JAX
        code (``jax.jit``, ``jax.grad`` with respect to the inputs or to this
        layer's hyperparameters, ``jax.vmap``), as neural-tangents'
        ``kernel_fn``. Memory grows as ``n1 * n2 * L**2``; use the layer's call
        for large inputs. Tokens that are all NaN are padding; validate inputs
        beforehand (a token with only some NaN features, which the call
        refuses, has them read as 0 here, as a finite network's ``apply``
        does). float64 needs JAX's ``jax_enable_x64``.

        Parameters
        ----------
        x1 : array of shape (n1, L, d) or (n1, L)
            Sequences padded with all-NaN tokens.
        x2 : array of shape (n2, L2, d) or (n2, L2), default=None
            None means ``x1`` against itself (the result is then symmetrised).
        get : {"nngp", "ntk"} or tuple of them, default="nngp"
            Which kernel(s) to return; a tuple gives a dict.
        precision : {"highest", "high", "default"}, default="highest"
            Precision of the matrix products, as in :meth:`__call__`.

        Returns
        -------
        jax.Array of shape (n1, n2), or dict of them

        Examples
        --------
        >>> import jax, numpy as np
        >>> from skattn.kernels import transformer
        >>> net = transformer(n_blocks=1)
        >>> X = np.random.default_rng(0).normal(size=(4, 5, 2)).astype("float32")
        >>> K = jax.jit(net.kernel_fn)(X)
        >>> bool(np.allclose(K, net(X), rtol=1e-5))
        True
        >>> dK = jax.jit(jax.grad(lambda x: net.kernel_fn(x, X).sum()))(X[:1])  # by the inputs
        >>> dK.shape
        (1, 5, 2)
        """
        from ._kernel_fn import kernel_fn

        return kernel_fn(self, x1, x2, get=get, precision=precision)

    def vjp(self, cotangent, X1, X2=None, *, get="nngp", batch_size="auto", device=None):
        """Gradient of ``sum(cotangent * K)`` with respect to the hyperparameters.

        ``K`` is the kernel ``self(X1, X2, get=get)``; the gradient is computed
        in reverse mode tile by tile (memory bounded by a tile, as for the
        kernel, on tiles of a quarter of its token pairs), at about four to five
        times the cost of the kernel (``benchmarks/marginal_likelihood_cost.py``).

        Parameters
        ----------
        cotangent : array-like of shape (n1, n2), or dict of them
            The weight of each kernel entry; a dict ``{kind: array}`` when
            ``get`` is a tuple.
        X1, X2, get, batch_size, device
            As for :meth:`__call__`.

        Returns
        -------
        Layer
            A pytree shaped like this layer whose hyperparameter leaves are the
            partial derivatives (floats).

        Examples
        --------
        >>> import numpy as np
        >>> from skattn.kernels import Dense, GlobalAvgPool, serial
        >>> X = np.random.default_rng(0).normal(size=(3, 4, 2))
        >>> k = serial(Dense(w_std=2.0), GlobalAvgPool(), Dense())
        >>> grad = k.vjp(np.ones((3, 3)), X)  # d/dw_std of sum(K) = 2 sum(K) / w_std
        >>> bool(np.isclose(grad.layers[0].w_std, k(X).sum()))
        True
        """
        from ._gradient import kernel_vjp

        return kernel_vjp(self, cotangent, X1, X2, get=get, batch_size=batch_size,
                          device=device)

    def diag(self, X, *, get="nngp", device=None, precision="highest"):
        """The diagonal of the kernel of ``X`` with itself, in ``O(n)`` work.

        Equal to ``np.diag(k(X, get=get))`` without the pairs: only the
        sequence-by-itself pass runs.

        Parameters
        ----------
        X : array-like of shape (n, L, d) or (n, L)
            Sequences padded with all-NaN tokens.
        get : {"nngp", "ntk"} or tuple of them, default="nngp"
            Which kernel(s) to return; a tuple gives a dict.
        device : str, jax.Device or None, default=None
            The device to compute on ("cpu", "gpu:1", ...); None is JAX's default.
        precision : {"highest", "high", "default"}, default="highest"
            Precision of the matrix products, as in :meth:`__call__`.

        Returns
        -------
        ndarray of shape (n,), or dict of them
        """
        from ._engine import Engine

        return Engine(device=device, precision=precision).diag(self, X, get=get)
