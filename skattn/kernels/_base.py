"""The layer base class: a pure map from one kernel state to the next."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Layer:
    """A layer of an infinitely wide network, seen through its kernels.

    Subclasses are frozen dataclasses of plain (hashable) configuration and
    implement :meth:`apply`, and :meth:`side` if the map needs per-sequence
    quantities.  Being hashable, a layer is a static argument of ``jax.jit``:
    one compilation per architecture and input shape.

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

    def walk(self, own):
        """The own-layout pass: ``(output state, side)`` of each sequence with itself."""
        side = self.side(own)
        return self.apply(own, side, side), side

    def __call__(self, X1, X2=None, *, get="nngp", batch_size="auto",
                 device=None, progress=None, n_jobs=None, out=None):
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
            as ``batch_size**2 * L**2``.  "auto" keeps a tile near 2**18 token
            pairs.  Any n1 and n2 work.
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

        Returns
        -------
        ndarray of shape (n1, n2), or dict of them
        """
        from ._compute import evaluate

        return evaluate(self, X1, X2, get=get, batch_size=batch_size, device=device,
                        progress=progress, n_jobs=n_jobs, out=out)

    def diag(self, X, *, get="nngp", device=None):
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

        Returns
        -------
        ndarray of shape (n,), or dict of them
        """
        from ._compute import evaluate_diag

        return evaluate_diag(self, X, get=get, device=device)
