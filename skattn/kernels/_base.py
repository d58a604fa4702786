"""The layer base class: a pure map from one kernel state to the next."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Layer:
    """A layer of an infinitely wide network, seen through its kernels.

    Subclasses are frozen dataclasses of plain (hashable) configuration and
    implement :meth:`apply`.  Being hashable, a layer is a static argument of
    ``jax.jit``: one compilation per architecture and input shape.

    Calling a layer (or a composition) on data evaluates its kernel::

        k = serial(Dense(), Relu(), GlobalAvgPool(), Dense())
        gram = k(X1, X2, get="nngp")
    """

    def apply(self, state):
        """Map the kernel state of the inputs to that of the outputs."""
        raise NotImplementedError

    def __call__(self, X1, X2=None, *, get="nngp", batch_size="auto",
                 device=None, progress=False):
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
            Sequences per block; "auto" picks it from a memory budget.
        device : jax.Device or None, default=None
            Pin the computation to one device; None spreads blocks over all.
        progress : bool, default=False
            Show a progress bar over blocks.

        Returns
        -------
        ndarray of shape (n1, n2), or dict of them
        """
        from ._compute import evaluate

        return evaluate(self, X1, X2, get=get, batch_size=batch_size,
                        device=device, progress=progress)
