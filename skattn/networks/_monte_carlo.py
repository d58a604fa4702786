"""Monte Carlo estimates of a layer's kernels from sampled finite networks.

For ``S`` networks with independent standard normal parameters ``theta_s``
and ``k`` readout channels ``f_c``::

    nngp(x, x') ~ 1/(S k) sum_s sum_c f_c(x; theta_s) f_c(x'; theta_s)
    ntk(x, x')  ~ 1/S sum_s <grad_theta f_1(x; theta_s), grad_theta f_1(x'; theta_s)>

(neural-tangents' ``monte_carlo_kernel_fn``, Novak et al. 2020).  Each is an
average of positive semi-definite matrices, so positive semi-definite, and the
estimate converges to the layer's analytic kernel as the width grows (bias) and
as ``S`` grows (error ``O(1 / sqrt(S))``).  Sample ``s`` is drawn from
``fold_in(key(random_state), s)``, so a ``random_state`` fixes every network,
whatever the batching, and kernels of different inputs computed in separate
calls with one ``random_state`` come from the same networks.
"""

import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from sklearn.utils import check_random_state

from ..kernels._compute import _parse_get, check_precision, prepare
from ..kernels._tiling import power_of_two_at_least
from ._base import finite

#: Bound on the elements of per-example gradients held at once (two blocks).
GRADIENT_ELEMENTS = 2**25
#: Most sequences in a block (a power of two).
MAX_BLOCK_ROWS = 256
#: Blocks above this many sequences have a multiple of it (below: a power of two).
ROW_STEP = 32


def seed_of(random_state):
    """The integer seed of ``random_state``: itself if an int, else one drawn from it."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


def _sample_kernels(net, kinds, pair, key, x1, m1, x2, m2):
    """One network's kernels ``{kind: K}`` between the blocks ``x1`` and ``x2``:
    ``pair`` "cross" gives ``(n1, n2)``; "self" the block ``x1`` with itself
    (``x2`` unused: its features once), "diagonal" only that one's diagonal ``(n1,)``."""
    params = net.init(key, jax.ShapeDtypeStruct(x1.shape, x1.dtype))

    def readouts(p, x, m):  # one sequence -> (its first output, all / sqrt(out_width))
        f = net.root.apply(p, x[None], m[None])[0]
        return f[0], f / jnp.sqrt(f.shape[0])

    def features(x, m):  # {kind: (n, features)} whose inner products are the kernels:
        # the NNGP averages the readouts' products, the NTK is the first one's;
        # one forward pass serves both
        if "ntk" not in kinds:
            return {"nngp": jax.vmap(lambda x, m: readouts(params, x, m)[1])(x, m)}
        grads, f = jax.vmap(jax.grad(readouts, has_aux=True), (None, 0, 0))(params, x, m)
        return {"nngp": f, "ntk": jax.vmap(lambda g: ravel_pytree(g)[0])(grads)}

    f1 = features(x1, m1)
    f2 = f1 if pair != "cross" else features(x2, m2)
    return {kind: (f1[kind] * f1[kind]).sum(axis=1) if pair == "diagonal" else
            f1[kind] @ f2[kind].T for kind in kinds}


def _moments(net, kinds, pair, keys, used, x1, m1, x2=None, m2=None):
    """Sums over the samples of ``keys`` (those with ``used`` 1) of each kernel
    and of its square."""
    def one(args):
        key, weight = args
        k = _sample_kernels(net, kinds, pair, key, x1, m1, x2, m2)
        return {kind: (weight * K, weight * K * K) for kind, K in k.items()}

    parts = jax.lax.map(one, (keys, used))
    return {kind: (a.sum(axis=0), b.sum(axis=0)) for kind, (a, b) in parts.items()}


_jit_moments = jax.jit(_moments, static_argnums=(1, 2))  # the network is traced


def _blocks(n, size):
    return [slice(start, start + size) for start in range(0, n, size)]


def monte_carlo_kernel(layer, X1, X2=None, *, width, n_heads=1, head_width=None,
                       n_samples, random_state=None, get="nngp", out_width=16,
                       diagonal=False, return_stderr=False, samples_per_call=8,
                       precision="highest"):
    """Estimate ``layer``'s kernels by averaging sampled finite-width networks.

    Works for every layer of :mod:`skattn.kernels` with a finite counterpart
    (see :func:`finite`), also where no closed form exists, such as
    ``SelfAttention(attention="softmax", scaling="sqrt")``.

    Parameters
    ----------
    layer : Layer
        The kernel layer; it must pool the tokens and end with a Dense readout.
    X1 : array-like of shape (n1, L, d) or (n1, L)
        Sequences padded with all-NaN tokens.
    X2 : array-like of shape (n2, L2, d) or (n2, L2), default=None
        None means ``X1`` against itself.
    width : int
        Channels of every Dense, Conv1D and attention output of the networks.
    n_heads : int, default=1
        Heads of every attention layer.
    head_width : int or None, default=None
        Channels per head; None is ``width // n_heads``.
    n_samples : int
        Networks averaged.  The error falls as ``1 / sqrt(n_samples)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the networks: one value gives the same kernels on every call.
    get : {"nngp", "ntk"} or tuple of them, default="nngp"
        Which kernel(s); a tuple gives a dict.
    out_width : int, default=16
        Readout channels.  Given the features below it, they are independent
        draws of the output, so the NNGP averages their products: a wider
        readout lowers its error at almost no cost.  The NTK uses the first.
    diagonal : bool, default=False
        Only the diagonal of ``X1``'s own kernel, ``O(n1)`` work (``X2`` must be None).
    return_stderr : bool, default=False
        Also return the standard error of each entry, estimated from the
        spread of the samples.
    samples_per_call : int, default=8
        Networks sampled per compiled call (one at a time inside it); memory
        does not grow with it.
    precision : {"highest", "high", "default"}, default="highest"
        Matrix-product precision of the networks (``jax.default_matmul_precision``),
        as for the infinite-width kernels: "highest" is full float32, where a
        GPU's "default" (TF32) moves float32 estimates by about 1e-3 relative.

    Returns
    -------
    kernel : ndarray of shape (n1, n2) (``(n1,)`` with ``diagonal=True``), or dict of them
    stderr : same as kernel
        Only with ``return_stderr=True``.

    Notes
    -----
    The cost is ``n_samples`` forward passes over ``X1`` and ``X2`` (NNGP),
    and one gradient per sequence and sample (NTK), each ``O(L**2 width +
    L width**2)`` per layer, plus the ``n1 x n2`` products; memory holds at
    most :data:`GRADIENT_ELEMENTS` gradient entries, the inputs being cut into
    blocks when there are more.  The estimate is biased by ``O(1 / width)``
    (the networks are finite) and off by ``O(1 / sqrt(n_samples))`` (the
    average is finite).

    Examples
    --------
    >>> import numpy as np
    >>> from skattn.kernels import SelfAttention, GlobalAvgPool, Dense, serial
    >>> from skattn.networks import monte_carlo_kernel
    >>> X = np.random.default_rng(0).normal(size=(4, 5, 3))
    >>> layer = serial(SelfAttention(scaling="sqrt"), GlobalAvgPool(), Dense())
    >>> K = monte_carlo_kernel(layer, X, width=16, n_samples=32, random_state=0)
    >>> K.shape, bool(np.all(np.linalg.eigvalsh(K) > -1e-9))
    ((4, 4), True)
    """
    kinds = _parse_get(get)
    check_precision(precision)
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) \
            or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    if diagonal and X2 is not None:
        raise ValueError("diagonal=True gives the diagonal of X1's own kernel; X2 must be None.")
    net = finite(layer, width=width, n_heads=n_heads, head_width=head_width,
                 out_width=out_width)
    v1, m1, v2, m2, dtype = prepare(X1, X2, layer=layer)
    n1, n2 = len(v1), len(v1) if v2 is None else len(v2)
    symmetric = v2 is None and not diagonal
    base = jax.random.key(seed_of(random_state))
    per_call = max(1, min(int(samples_per_call), n_samples))
    with jax.enable_x64(dtype == np.float64), jax.default_matmul_precision(precision):
        rows1 = _block_rows(net, base, v1.shape, dtype, kinds, n1)
        rows2 = rows1 if v2 is None else _block_rows(net, base, v1.shape, dtype, kinds, n2)
        v1, m1 = _pad_rows(v1, m1, rows1, dtype)
        v2, m2 = (v1, m1) if v2 is None else _pad_rows(v2, m2, rows2, dtype)
        shape = (len(v1),) if diagonal else (len(v1), len(v2))
        sums = {k: (np.zeros(shape), np.zeros(shape)) for k in kinds}
        pairs = [(i, None) for i in _blocks(len(v1), rows1)] if diagonal else [
            (i, j) for i in _blocks(len(v1), rows1) for j in _blocks(len(v2), rows2)
            if not (symmetric and j.start < i.start)]
        for start in range(0, n_samples, per_call):
            # every call has per_call keys (one compilation); those past n_samples weigh 0
            index = np.arange(start, start + per_call)
            used = (index < n_samples).astype(dtype)
            keys = jax.vmap(lambda s: jax.random.fold_in(base, s))(index)
            for i, j in pairs:
                pair = "diagonal" if j is None else "self" if symmetric and i == j else "cross"
                args = (v2[j], m2[j]) if pair == "cross" else ()
                part = _jit_moments(net, kinds, pair, keys, used, v1[i], m1[i], *args)
                for kind, moments in part.items():
                    for total, value in zip(sums[kind], moments):
                        value = np.asarray(value, np.float64)
                        if j is None:
                            total[i] += value
                            continue
                        total[i, j] += value
                        if symmetric and j != i:
                            total[j, i] += value.T
    kernels, errors = {}, {}
    for kind, (total, squares) in sums.items():
        crop = (slice(n1),) if diagonal else (slice(n1), slice(n2))
        mean, squares = total[crop] / n_samples, squares[crop] / n_samples
        variance = np.clip(squares - mean**2, 0, None) * n_samples / max(n_samples - 1, 1)
        kernels[kind] = ((mean + mean.T) / 2 if symmetric else mean).astype(dtype)
        errors[kind] = np.sqrt(variance / n_samples).astype(dtype)
    if isinstance(get, str):
        kernels, errors = kernels[kinds[0]], errors[kinds[0]]
    return (kernels, errors) if return_stderr else kernels


def _block_rows(net, key, shape, dtype, kinds, n):
    """Sequences per block of a side of ``n``: the fewest blocks of at most
    ``MAX_BLOCK_ROWS`` (and, for the NTK, of at most half of
    :data:`GRADIENT_ELEMENTS` gradient entries), as equal as they can be,
    rounded up to a power of two up to ``ROW_STEP`` and to a multiple of it
    above, so that calls of similar sizes share compilations while padding
    adds at most ``ROW_STEP - 1`` dummies a block (``n = 130`` is one block of
    160, not 256)."""
    cap = MAX_BLOCK_ROWS
    if "ntk" in kinds:
        params = jax.eval_shape(net.init, key, jax.ShapeDtypeStruct(shape, dtype))
        n_params = sum(leaf.size for leaf in jax.tree.leaves(params))
        bound = max(1, GRADIENT_ELEMENTS // (2 * n_params))
        cap = min(cap, 1 << (bound.bit_length() - 1))
    rows = -(-n // -(-n // cap))  # ceil(n / the fewest blocks)
    if rows <= ROW_STEP:
        return power_of_two_at_least(rows)
    return min(cap, -(-rows // ROW_STEP) * ROW_STEP)


def _pad_rows(values, mask, rows, dtype):
    """Pad to a multiple of ``rows`` sequences with dummies of zero tokens, all real
    (so that no window leaves them empty; cropped later)."""
    extra = -len(values) % rows
    dummy = np.ones((extra, mask.shape[1]), bool)
    return (np.pad(values, ((0, extra), (0, 0), (0, 0))).astype(dtype),
            np.concatenate([mask, dummy]).astype(dtype))
