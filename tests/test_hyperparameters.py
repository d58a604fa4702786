"""Hyperparameters learned by maximising the marginal likelihood, with GPR's API."""

import warnings

import numpy as np
import pytest
import scipy.optimize
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from synthetic import padded_sequences
from skattn import (AttentionNNGPClassifier, AttentionNNGPRegressor, AttentionNTKClassifier,
                    AttentionNTKRegressor)
from skattn._inference import ExactPosterior

SMALL = dict(n_blocks=1, positional="sum", alpha=1e-2)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = padded_sequences(rng, 16, 4, 2)
    y = np.tanh(2 * np.nanmean(X[:, :, 0], axis=1)) + 0.05 * rng.normal(size=16)
    return X, y


@pytest.fixture(scope="module")
def learned(data):
    X, y = data
    est = AttentionNNGPRegressor(**SMALL, optimizer="fmin_l_bfgs_b",
                                 learn=("qk_std", "w_std", "alpha"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a bound may be reached
        return est.fit(X, y)


def test_without_optimizer_the_values_are_the_parameters(data):
    X, y = data
    reg = AttentionNNGPRegressor(**SMALL, qk_std=0.7).fit(X, y)
    assert reg.hyperparameters_ == {"qk_std": 0.7, "w_std": 1.0}
    assert reg.alpha_ == 1e-2
    want = ExactPosterior(reg.compute_kernel(X), 1e-2).log_marginal_likelihood(reg.y_train_)
    assert reg.log_marginal_likelihood() == pytest.approx(want, rel=1e-10)
    assert reg.log_marginal_likelihood(np.log([0.7, 1.0])) == pytest.approx(want, rel=1e-10)


def test_optimizer_raises_the_likelihood_and_keeps_the_parameters(data, learned):
    X, y = data
    default = AttentionNNGPRegressor(**SMALL).fit(X, y)
    assert learned.log_marginal_likelihood_value_ > default.log_marginal_likelihood_value_
    assert list(learned.hyperparameters_) == ["qk_std", "w_std", "alpha"]
    theta = np.log(list(learned.hyperparameters_.values()))
    assert learned.log_marginal_likelihood(theta) == pytest.approx(
        learned.log_marginal_likelihood_value_, rel=1e-8)
    # get_params keeps the constructor's values: clone is a fresh, equal estimator
    assert learned.get_params()["qk_std"] == 1.0 and learned.get_params()["alpha"] == 1e-2
    assert clone(learned).get_params() == learned.get_params()
    # the fitted model is the one of the learned values
    values = learned.hyperparameters_
    fixed = AttentionNNGPRegressor(**{**SMALL, **values}).fit(X, y)
    np.testing.assert_allclose(learned.predict(X[:5]), fixed.predict(X[:5]), rtol=1e-9)
    assert learned.alpha_ == values["alpha"]
    assert learned.kernel_.layers[-1].w_std == values["w_std"]


def test_gradient_matches_finite_differences(learned):
    theta = np.log([0.6, 1.7, 3e-2])
    value, grad = learned.log_marginal_likelihood(theta, eval_gradient=True)
    assert value == pytest.approx(learned.log_marginal_likelihood(theta), rel=1e-12)
    h = 1e-5
    for j in range(3):
        step = h * np.eye(3)[j]
        numeric = (learned.log_marginal_likelihood(theta + step)
                   - learned.log_marginal_likelihood(theta - step)) / (2 * h)
        assert grad[j] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_callable_optimizer_and_restarts_drawn_by_random_state(data):
    X, y = data
    calls = []

    def first_point(obj_func, initial_theta, bounds):
        value, grad = obj_func(initial_theta)  # GPR's contract: eval_gradient=True
        calls.append((initial_theta.copy(), np.asarray(bounds)))
        assert grad.shape == initial_theta.shape
        return initial_theta, value

    est = AttentionNNGPRegressor(**SMALL, optimizer=first_point, n_restarts_optimizer=2,
                                 random_state=0, learn={"qk_std": (0.1, 10.0)})
    est.fit(X, y)
    starts = [theta[0] for theta, _ in calls]
    assert len(calls) == 3 and starts[0] == 0.0  # log(1.0), then two draws in the bounds
    assert all(np.log(0.1) <= s <= np.log(10.0) for s in starts)
    np.testing.assert_allclose(calls[0][1], np.log([[0.1, 10.0]]))
    best = max(starts, key=lambda s: est.log_marginal_likelihood(np.array([s])))
    assert est.hyperparameters_["qk_std"] == pytest.approx(np.exp(best))
    calls.clear()
    clone(est).fit(X, y)
    assert [theta[0] for theta, _ in calls] == starts  # the same draws


def test_bound_and_failure_warn_and_leave_a_usable_model(data, monkeypatch):
    X, y = data

    def at_upper_bound(obj_func, initial_theta, bounds):
        theta = np.asarray(bounds)[:, 1]
        return theta, obj_func(theta, eval_gradient=False)

    est = AttentionNNGPRegressor(**SMALL, optimizer=at_upper_bound, learn=("w_std",))
    with pytest.warns(ConvergenceWarning, match="w_std is close to the specified upper") as record:
        est.fit(X, y)
    assert [w.filename for w in record] == [__file__]  # the caller's line, not skattn's
    assert est.hyperparameters_ == {"w_std": pytest.approx(100.0)}

    def failing(*args, **kwargs):
        return scipy.optimize.OptimizeResult(x=np.zeros(2), fun=1.0, success=False,
                                             status=2, message="ABNORMAL")

    monkeypatch.setattr(scipy.optimize, "minimize", failing)
    est = AttentionNNGPRegressor(**SMALL, optimizer="fmin_l_bfgs_b")
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est.fit(X, y)
    assert np.isfinite(est.predict(X)).all()


def test_classifiers_sum_the_outputs_and_ntk_learns_on_the_nngp(data):
    X, y = data
    labels = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    options = dict(**SMALL, optimizer="fmin_l_bfgs_b", learn={"qk_std": (0.1, 10.0)})
    nngp = AttentionNNGPClassifier(**options).fit(X, labels)
    ntk = AttentionNTKClassifier(**options).fit(X, labels)
    # one objective (the NNGP's, summed over the three one-hot outputs): one optimum
    assert ntk.hyperparameters_ == pytest.approx(nngp.hyperparameters_, rel=1e-6)
    Y = nngp.y_train_
    assert Y.shape[1] == 3
    reg = AttentionNNGPRegressor(**SMALL, qk_std=nngp.hyperparameters_["qk_std"])
    outputs = [reg.fit(X, Y[:, k]).log_marginal_likelihood() for k in range(3)]
    assert nngp.log_marginal_likelihood_value_ == pytest.approx(sum(outputs), rel=1e-8)
    assert ntk.kernel_ == nngp.kernel_
    with pytest.raises(ValueError, match="'alpha' cannot be learned by an NTK"):
        AttentionNTKRegressor(**SMALL, optimizer="fmin_l_bfgs_b", learn=("alpha",)).fit(X, y)


@pytest.mark.parametrize("params, match", [
    (dict(learn=("eps",)), "'eps' cannot be learned"),
    (dict(learn={"qk_std": (2.0, 1.0)}), "bounds of 'qk_std' must satisfy"),
    (dict(learn=()), "at least one"),
    (dict(learn=("b_std",)), "b_std=0.0 cannot be learned in log space"),
    (dict(optimizer="adam"), "optimizer"),
    (dict(n_blocks=0), r"no hyperparameter 'qk_std'; its hyperparameters are 'b_std', "
                       r"'w_std'\.$"),  # no attention, and learn left at its default
])
def test_bad_settings_are_named(data, params, match):
    X, y = data
    est = AttentionNNGPRegressor(**{**SMALL, "optimizer": "fmin_l_bfgs_b", **params})
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


def test_log_marginal_likelihood_arguments(learned):
    with pytest.raises(ValueError, match="Gradient can only be evaluated for theta!=None"):
        learned.log_marginal_likelihood(eval_gradient=True)
    with pytest.raises(ValueError, match=r"theta must have shape \(3,\)"):
        learned.log_marginal_likelihood(np.zeros(2))
    assert learned.log_marginal_likelihood(np.log([1.0, 1.0, 1e-12])) < \
        learned.log_marginal_likelihood_value_


def test_calibrated_probabilities_use_the_learned_values(data):
    X, y = data
    labels = (y > np.median(y)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = AttentionNNGPClassifier(**SMALL, optimizer="fmin_l_bfgs_b",
                                      learn=("qk_std", "alpha")).fit(X, labels)
    fixed = AttentionNNGPClassifier(**{**SMALL, **clf.hyperparameters_}).fit(X, labels)
    assert clf.proba_scale_ == pytest.approx(fixed.proba_scale_, rel=1e-6)
    np.testing.assert_allclose(clf.predict_proba(X[:5]), fixed.predict_proba(X[:5]),
                               rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(clf.decision_function(X[:5]), fixed.decision_function(X[:5]),
                               rtol=1e-9)
