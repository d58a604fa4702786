"""The engine: how kernels are computed, apart from the layer that says what.

As neural-tangents' ``nt.batch`` wraps a ``kernel_fn`` that knows nothing of
batching, an :class:`Engine` holds the computation's options (tile size,
device, worker processes, matrix-product precision, progress bar) and applies
them to any layer; ``Layer.__call__`` is a convenience over one.
"""

import dataclasses

from . import _compute


@dataclasses.dataclass(frozen=True)
class Engine:
    """Options of a kernel computation, applied to any layer.

    Parameters
    ----------
    batch_size : int or "auto", default="auto"
        Sequences a side of a tile (see :meth:`Layer.__call__`).
    device : str, jax.Device or None, default=None
        One device by name ("cpu", "gpu:1") or object; None spreads the
        tiles over all of ``jax.devices()``.
    n_jobs : int or None, default=None
        Worker processes (``joblib``); None computes in this process.
    precision : {"highest", "high", "default"}, default="highest"
        Precision of the matrix products.
    progress : bool or None, default=None
        Progress bar; None shows one for long computations only.

    Examples
    --------
    >>> import numpy as np
    >>> from skattn.kernels import transformer
    >>> from skattn.kernels._engine import Engine
    >>> X = np.random.default_rng(0).normal(size=(5, 4, 3))
    >>> k, engine = transformer(n_blocks=1), Engine(batch_size=2)
    >>> seen = engine.own_pass(k, X)  # each sequence with itself, once
    >>> bool(np.allclose(engine.kernel(k, X, passes=(seen, None)), k(X)))
    True
    """

    batch_size: object = "auto"
    device: object = None
    n_jobs: object = None
    precision: str = "highest"
    progress: object = None

    def __post_init__(self):
        _compute.check_precision(self.precision)

    def kernel(self, layer, X1, X2=None, *, get="nngp", out=None, passes=(None, None)):
        """``layer``'s kernels between ``X1`` and ``X2`` (see :meth:`Layer.__call__`);
        ``passes`` are :meth:`own_pass` of ``X1`` and ``X2`` where known."""
        return _compute.evaluate(layer, X1, X2, get=get, batch_size=self.batch_size,
                                 device=self.device, progress=self.progress,
                                 n_jobs=self.n_jobs, out=out, precision=self.precision,
                                 passes=passes)

    def own_pass(self, layer, X):
        """Each sequence of ``X`` with itself, ``O(n)``: its sides and the kernels' diagonal."""
        return _compute.own_pass(layer, X, batch_size=self.batch_size, device=self.device,
                                 precision=self.precision)

    def diag(self, layer, X, *, get="nngp"):
        """The diagonal of ``layer``'s kernel of ``X`` (see :meth:`Layer.diag`)."""
        kinds = _compute._parse_get(get)
        diagonal = self.own_pass(layer, X).diagonal
        return diagonal[kinds[0]] if isinstance(get, str) else {k: diagonal[k] for k in kinds}
