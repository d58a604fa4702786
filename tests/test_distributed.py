"""Kernel blocks on joblib processes and on a Dask cluster (issue: beyond one machine)."""

import os
from pathlib import Path

import joblib
import numpy as np
import pytest

from synthetic import DieOnceInWorker, padded_sequences
from skattn import AttentionNTKClassifier, AttentionNTKRegressor
from skattn.kernels import Dense, GlobalAvgPool, SelfAttention, serial

TESTS = str(Path(__file__).parent)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X = padded_sequences(rng, 30, 4, 2)
    y = np.nan_to_num(X).sum(axis=(1, 2))
    return X[:22], y[:22], X[22:]


@pytest.fixture(scope="module")
def reference(data):
    X, y, X_test = data
    model = AttentionNTKRegressor(n_blocks=1, t=2.0, batch_size=4).fit(X, y)
    return model.predict(X_test, return_std=True)


def test_local_processes_give_the_same_predictions(data, reference):
    X, y, X_test = data
    model = AttentionNTKRegressor(n_blocks=1, t=2.0, batch_size=4, n_jobs=2).fit(X, y)
    mean, std = model.predict(X_test, return_std=True)
    np.testing.assert_allclose(mean, reference[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(std, reference[1], rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def dask_client():
    """A local cluster of two worker processes, started once for the tests below.

    Its workers (and those that replace a killed one) import ``synthetic`` from
    the tests' folder.
    """
    distributed = pytest.importorskip("distributed")  # the `dask` extra; installed by `make test`
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            yield client


def test_dask_cluster_gives_the_same_predictions_from_its_workers(data, reference, dask_client):
    import distributed

    X, y, X_test = data
    model = AttentionNTKRegressor(n_blocks=1, t=2.0, batch_size=4)
    with distributed.get_task_stream(dask_client) as stream, \
            joblib.parallel_config(backend="dask"):
        model.fit(X, y)
        mean, std = model.predict(X_test, return_std=True)
    workers = {task["worker"] for task in stream.data if "kernel_block" in task["key"]}
    assert workers == set(dask_client.scheduler_info()["workers"])
    assert len(workers) == 2
    np.testing.assert_allclose(mean, reference[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(std, reference[1], rtol=1e-10, atol=1e-12)


def _dying_architecture(marker):
    return serial(Dense(), DieOnceInWorker(str(marker)), SelfAttention(), GlobalAvgPool(),
                  Dense())


def test_killed_dask_worker_is_replaced_and_its_block_recomputed(data, tmp_path, dask_client):
    X, y, X_test = data
    architecture = _dying_architecture(tmp_path / "died")
    want = AttentionNTKRegressor(architecture=architecture, batch_size=4).fit(X, y)
    model = AttentionNTKRegressor(architecture=architecture, batch_size=4)
    with joblib.parallel_config(backend="dask"):
        model.fit(X, y)
    assert (tmp_path / "died").exists()  # a worker did die
    np.testing.assert_allclose(model.predict(X_test), want.predict(X_test), rtol=1e-10)


def test_killed_local_worker_fails_the_fit_clearly_and_keeps_the_model(data, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
    X, y, X_test = data
    labels = (y > np.median(y)).astype(int)
    model = AttentionNTKClassifier(n_blocks=1, batch_size=4).fit(X, labels)
    before = model.decision_function(X_test)
    model.set_params(architecture=_dying_architecture(tmp_path / "died"), n_jobs=2)
    with pytest.raises(RuntimeError, match="worker computing kernel blocks died"):
        model.fit(X[:12], labels[:12])
    assert (tmp_path / "died").exists()
    model.set_params(architecture=None, n_jobs=None)
    np.testing.assert_array_equal(model.decision_function(X_test), before)
