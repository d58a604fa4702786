"""One compilation per network structure: float hyperparameters are traced."""

import contextlib

import jax
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from synthetic import padded_sequences
from skattn import AttentionNNGPRegressor, AttentionNTKClassifier
from skattn.kernels import (Conv1D, Dense, GlobalAvgPool, Relu, SelfAttention, serial,
                            transformer)
from skattn.networks import finite, monte_carlo_kernel

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"


#: ``(fragment, names)`` of each open `kernel_compilations` block.
_RECORDERS = []


def _record(event, duration, **kwargs):
    if event == COMPILE_EVENT:
        name = str(kwargs.get("fun_name", ""))
        for fragment, names in _RECORDERS:
            if fragment in name:
                names.append(name)


# registered once: JAX 0.8.0, the oldest skattn supports, cannot unregister a listener
jax.monitoring.register_event_duration_secs_listener(_record)


@contextlib.contextmanager
def kernel_compilations(fragment="chunk", clear=True):
    """Names of the functions XLA compiles inside the block whose names hold
    ``fragment`` (default: the engine's; "" for all), after clearing JAX's
    caches unless ``clear`` is False."""
    names = []
    if clear:
        jax.clear_caches()
    entry = (fragment, names)
    _RECORDERS.append(entry)
    try:
        yield names
    finally:
        _RECORDERS[:] = [other for other in _RECORDERS if other is not entry]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = padded_sequences(rng, 18, 4, 2)
    return X, np.nan_to_num(X).sum(axis=(1, 2))


def test_grid_search_over_floats_compiles_the_kernel_once(data):
    X, y = data
    est = AttentionNNGPRegressor(n_blocks=1, b_std=0.0, alpha=1e-2)
    compiled = {}
    for size, grid in [(1, {"qk_std": [1.0]}),
                       (9, {"qk_std": [0.5, 1.0, 2.0], "w_std": [0.5, 1.0, 1.5]})]:
        with kernel_compilations() as names:
            GridSearchCV(est, grid, cv=3).fit(X, y)
        compiled[size] = sorted(names)
    # the 27 fits of the 9-point grid compile what the 3 fits of one point do: an own
    # pass and a pair pass per tile shape (the folds', the refit's, the validation
    # sequences'), never one per value
    assert compiled[9] == compiled[1]
    assert set(compiled[9]) == {"jit(_walk_chunk)", "jit(_chunk_kernels)"}
    assert len(compiled[9]) <= 6
    # a bias of exactly 0 is structure (its terms are left out): a non-zero one
    # compiles its own pair of programs once, which every other value shares
    with kernel_compilations() as names:
        est.fit(X, y).predict(X)
        est.set_params(b_std=0.3, qk_std=2.0).fit(X, y).predict(X)
        est.set_params(b_std=0.6, qk_std=0.5).fit(X, y).predict(X)
    assert sorted(names) == ["jit(_chunk_kernels)", "jit(_chunk_kernels)",
                             "jit(_walk_chunk)", "jit(_walk_chunk)"]


def test_small_sizes_share_the_programs_of_one_fit():
    """scikit-learn's checks fit and predict on 5 to 50 sequences in turn: all of
    them, and predict_proba and score, run the two programs of the first fit
    (small kernels share a tile side; NTK and NNGP+NTK share the pair program;
    the probabilities compile nothing)."""
    rng = np.random.default_rng(3)
    # a token count and width no other test uses: its programs are compiled here,
    # without clearing the caches the rest of this worker uses
    X = rng.normal(size=(50, 6, 5))
    y = np.arange(50) % 3
    clf = AttentionNTKClassifier(n_blocks=1)
    with kernel_compilations("", clear=False) as names:
        for n in (5, 10, 20, 30, 50):
            clf.fit(X[:n], y[:n])
            clf.predict(X[:n])
            proba = clf.predict_proba(X[:n])
            clf.score(X[:n], y[:n])
    assert sorted(names) == ["jit(_chunk_kernels)", "jit(_walk_chunk)"]
    assert proba.shape == (50, 3) and np.allclose(proba.sum(axis=1), 1)


def test_new_structure_compiles_again(data):
    X, _ = data
    with kernel_compilations() as names:
        transformer(n_blocks=1)(X)
        transformer(n_blocks=1, qk_std=3.0, pos_std=0.2, w_std=2)(X)
    assert len(names) == 2
    with kernel_compilations() as names:
        transformer(n_blocks=1)(X)
        transformer(n_blocks=1, attention="relu")(X)
    assert len(names) == 4


def test_hyperparameters_are_leaves_and_structure_is_static():
    layer = SelfAttention(attention="relu", qk_std=2.0, pos_scale=3.0)
    leaves, treedef = jax.tree.flatten(layer)
    assert leaves == [2.0, 1.0, 0.0, 1.0, 3.0, 2.0]  # qk, ov, b, pos_std, pos_scale, p_norm
    assert jax.tree.unflatten(treedef, leaves) == layer
    twin = jax.tree.flatten(SelfAttention(attention="relu", qk_std=5.0))[1]
    assert twin == treedef
    assert jax.tree.flatten(SelfAttention(attention="abs"))[1] != treedef


def test_traced_values_are_not_checked_but_concrete_ones_are():
    with pytest.raises(ValueError, match="Dense: w_std must be a non-negative number"):
        Dense(w_std=-1.0)
    with pytest.raises(ValueError, match="b_std must be a non-negative number"):
        Dense(b_std=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="pos_scale must be positive"):
        SelfAttention(pos_scale=jax.numpy.asarray(0.0))
    # a layer built from a traced value (as the marginal likelihood's gradient does)
    grad = jax.grad(lambda w: Dense(w_std=w).w_std ** 2)(3.0)
    assert grad == 6.0


def test_finite_networks_compile_once_per_structure(data):
    """Finite networks are pytrees with traced hyperparameters: Monte Carlo
    kernels at two values of every float compile one program; a new width
    compiles another."""
    X = data[0][:4].astype(np.float32)

    def network(w_std, qk_std, pos_scale):
        return serial(Conv1D(filter_size=2, padding="same", w_std=w_std), Relu(),
                      SelfAttention(qk_std=qk_std, positional="sum", pos_decay="exp",
                                    pos_scale=pos_scale), GlobalAvgPool(), Dense())

    kwargs = dict(n_heads=2, n_samples=2, random_state=0)
    with kernel_compilations("_moments") as names:
        one = monte_carlo_kernel(network(1.0, 1.0, 1.0), X, width=4, **kwargs)
        two = monte_carlo_kernel(network(2.0, 0.5, 3.0), X, width=4, **kwargs)
    assert names == ["jit(_moments)"]
    assert not np.allclose(one, two)  # the new values were used, not the old program's
    with kernel_compilations("_moments") as names:
        monte_carlo_kernel(network(1.0, 1.0, 1.0), X, width=6, **kwargs)
    assert names == ["jit(_moments)"]
    # the functional API: a network is an argument of jit, not a static one
    apply = jax.jit(lambda net, params: net.apply(params, X))
    nets = [finite(network(w, 1.0, 1.0), width=4) for w in (1.0, 2.0)]
    params = nets[0].init(jax.random.key(0), X)
    with kernel_compilations("<lambda>") as names:
        outputs = [apply(net, params) for net in nets]
    assert len(names) == 1 and not np.allclose(*outputs)
