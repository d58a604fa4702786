"""Learning the kernel's float hyperparameters by maximising the marginal likelihood.

As :class:`sklearn.gaussian_process.GaussianProcessRegressor` does for its
kernel: ``theta`` is the vector of the logarithms of the learned values, the
objective is the log marginal likelihood of the training targets under the
network's NNGP with noise variance ``alpha`` (each output an independent GP,
their likelihoods summed; Rasmussen & Williams, Alg. 2.1 and eq. 5.9)::

    A = K(theta) + alpha I,    a = A^-1 Y
    L = -1/2 tr(Y^T a) - m/2 log|A| - n m/2 log(2 pi)
    dL/dtheta_j = sum_ik W_ik dK_ik/dtheta_j,    W = 1/2 (a a^T - m A^-1)

with ``m`` outputs.  ``dK/dtheta`` is never formed: one vector-Jacobian product
of the kernel with cotangent ``W`` (:meth:`skattn.kernels.Layer.vjp`) gives
every component, so an evaluation with its gradient costs a kernel, a
Cholesky factorisation and the VJP whatever the number of hyperparameters.

A learned name stands for every hyperparameter field of that name in the
network (the flat estimator parameters are tied that way by
:func:`skattn.kernels.transformer`: ``w_std`` is the ``w_std`` of every Dense
layer), so its derivative is the sum of theirs.
"""

from numbers import Integral

import jax
import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._inference import ExactPosterior
from ._warnings import warn
from .kernels._engine import Engine

#: Names that can be learned, and their default bounds (of the values, not the logs).
LEARNABLE = {
    "qk_std": (1e-2, 1e2), "ov_std": (1e-2, 1e2), "w_std": (1e-2, 1e2),
    "b_std": (1e-3, 1e2), "pos_std": (1e-2, 1e2), "pos_scale": (1e-2, 1e3),
    "alpha": (1e-8, 1e2),
}
#: What ``learn`` names by default.
DEFAULT_LEARN = ("qk_std", "w_std")

CONSTRAINTS = {
    "optimizer": [StrOptions({"fmin_l_bfgs_b"}), callable, None],
    "n_restarts_optimizer": [Interval(Integral, 0, None, closed="left")],
    "learn": [tuple, list, dict],
    "random_state": ["random_state"],
}


def _bounds(learn):
    """``{name: (low, high)}`` from the ``learn`` parameter, checked."""
    items = learn.items() if isinstance(learn, dict) else ((n, None) for n in learn)
    bounds = {}
    for name, pair in items:
        if name not in LEARNABLE:
            raise ValueError(f"learn: {name!r} cannot be learned; the names that can "
                             f"are {sorted(LEARNABLE)}.")
        low, high = LEARNABLE[name] if pair is None else pair
        if not 0 < low < high:
            raise ValueError(f"learn: the bounds of {name!r} must satisfy "
                             f"0 < low < high (they bound a log); got {pair!r}.")
        bounds[name] = (float(low), float(high))
    if not bounds:
        raise ValueError("learn must name at least one hyperparameter.")
    return bounds


def _field(path):
    return getattr(path[-1], "name", None)


def with_values(layer, values):
    """``layer`` with every hyperparameter field named in ``values`` set to it."""
    return jax.tree_util.tree_map_with_path(
        lambda path, leaf: values.get(_field(path), leaf), layer)


def _values_in(layer, names):
    """The value of each name in ``layer`` (all its fields of that name must agree)."""
    found = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(layer)[0]:
        found.setdefault(_field(path), set()).add(float(leaf))
    values = {}
    for name in names:
        if name not in found:
            raise ValueError(f"learn: the network has no hyperparameter {name!r}; its "
                             f"hyperparameters are {', '.join(map(repr, sorted(found)))}.")
        if len(found[name]) > 1:
            raise ValueError(
                f"learn: the network's {name!r} fields differ ({sorted(found[name])}); "
                "a learned name sets all of them to one value.")
        values[name] = found[name].pop()
    return values


def _grad_by_name(grad, names):
    """Sum of the leaves of the gradient pytree ``grad``, by field name."""
    totals = dict.fromkeys(names, 0.0)
    for path, leaf in jax.tree_util.tree_flatten_with_path(grad)[0]:
        if _field(path) in totals:
            totals[_field(path)] += leaf
    return totals


def kernel_values(values):
    """``values`` without the noise ``alpha``: those the network's layers hold."""
    return {name: value for name, value in values.items() if name != "alpha"}


def log_marginal_likelihood(layer, X, Y, alpha, *, eval_gradient=False, names=(),
                            engine=None):
    """``L`` and, if asked, ``dL/dlog(value)`` for each name in ``names`` (see the module).

    Parameters
    ----------
    layer : skattn.kernels.Layer
        The network, with the values to evaluate at.
    X : ndarray
        Training sequences (the engine's input).
    Y : ndarray of shape (n, m)
        Float64 targets.
    alpha : float
        Noise variance.
    eval_gradient : bool
    names : sequence of str
        The learned names, "alpha" among them or not.
    engine : skattn.kernels._engine.Engine or None
        How the kernel is computed (its ``batch_size`` and ``device`` also for
        the gradient); None is the default engine.

    Returns
    -------
    lml : float
        ``-inf`` when ``K + alpha I`` is not positive definite, as in GPR.
    grad : ndarray of shape (len(names),)
        Only with ``eval_gradient=True`` (zeros with ``-inf``).
    """
    engine = Engine() if engine is None else engine
    K = engine.kernel(layer, X, get="nngp")
    try:  # R&W Alg. 2.1, lines 2-3 and 8
        solver = ExactPosterior(K, alpha, kernel_dtype=K.dtype, overwrite=True)
    except np.linalg.LinAlgError:
        return (-np.inf, np.zeros(len(names))) if eval_gradient else -np.inf
    a = solver.apply(Y)
    lml = solver.log_marginal_likelihood(Y, a)
    if not eval_gradient:
        return lml
    n, m = Y.shape
    W = 0.5 * (a @ a.T - m * solver.apply(np.eye(n)))  # eq. 5.9, summed over outputs
    kernel_names = [name for name in names if name != "alpha"]
    grads = {}
    if kernel_names:
        grads = _grad_by_name(layer.vjp(W, X, get="nngp", batch_size=engine.batch_size,
                                        device=engine.device), kernel_names)
    values = _values_in(layer, kernel_names)
    values["alpha"], grads["alpha"] = alpha, np.trace(W)  # dA/dalpha = I
    return lml, np.array([values[name] * grads[name] for name in names])


class LearnedHyperparametersMixin:
    """``optimizer``, ``log_marginal_likelihood`` and the fitted ``hyperparameters_``.

    The estimator provides ``_architecture()``, ``_engine()``, ``alpha`` and
    the parameters in :data:`CONSTRAINTS`.
    """

    def _learnable_start(self):
        """``(names, start values, log bounds)`` in theta's order."""
        bounds = _bounds(self.learn)
        names = tuple(bounds)
        if "alpha" in names and not self._model.alpha_is_noise:
            raise ValueError(
                "learn: 'alpha' cannot be learned by an NTK estimator: its alpha is a "
                "ridge on the NTK, while the optimizer maximises the NNGP's marginal "
                "likelihood, where alpha is a noise variance. Choose alpha by "
                "cross-validation (e.g. GridSearchCV), or use an NNGP estimator.")
        start = _values_in(self._architecture(), [n for n in names if n != "alpha"])
        start["alpha"] = float(self.alpha)
        for name in names:
            if not start[name] > 0:
                raise ValueError(
                    f"learn: {name}={start[name]!r} cannot be learned in log space; "
                    f"set a positive starting value (e.g. {name}=0.1).")
        return names, np.array([start[n] for n in names]), np.log(list(bounds.values()))

    def _values_without_optimizer(self):
        """The parameters' values of the learnable names in ``learn`` the network has."""
        names = [name for name in self.learn if name in LEARNABLE]
        found = {}
        for path, leaf in jax.tree_util.tree_flatten_with_path(self._architecture())[0]:
            found.setdefault(_field(path), float(leaf))
        found["alpha"] = float(self.alpha)
        return {name: found[name] for name in names if name in found}

    def _objective(self, X, Y, names):
        """``theta -> log marginal likelihood`` (and its gradient) on ``(X, Y)``."""
        if self.kernel_method != "exact":
            raise ValueError(
                "The marginal likelihood at other hyperparameters needs the exact kernel "
                f"and its gradient; kernel_method={self.kernel_method!r} estimates the "
                "kernel by Monte Carlo. Use kernel_method='exact', or choose the "
                "hyperparameters by cross-validation.")
        base = self._architecture()
        engine = self._engine()

        def lml(theta, eval_gradient=False):
            values = dict(zip(names, np.exp(np.asarray(theta, dtype=np.float64))))
            alpha = values.pop("alpha", self.alpha)
            return log_marginal_likelihood(
                with_values(base, values), X, Y, alpha, eval_gradient=eval_gradient,
                names=names, engine=engine)

        return lml

    def _learn(self, X, Y):
        """The learned values ``{name: value}`` (the starting ones without an
        optimizer) and the best log marginal likelihood found (None without)."""
        if self.optimizer is None:
            return self._values_without_optimizer(), None
        names, start, bounds = self._learnable_start()
        lml = self._objective(X, Y, names)

        def obj_func(theta, eval_gradient=True):
            if eval_gradient:
                value, grad = lml(theta, eval_gradient=True)
                return -value, -grad
            return -lml(theta)

        rng = check_random_state(self.random_state)
        starts = [np.log(start)] + [rng.uniform(bounds[:, 0], bounds[:, 1])
                                    for _ in range(self.n_restarts_optimizer)]
        optima = [self._constrained_optimization(obj_func, theta, bounds) for theta in starts]
        theta, value = min(optima, key=lambda optimum: optimum[1])
        if not np.isfinite(value):
            warn(
                "The marginal likelihood was not finite at any point the optimizer tried "
                "(the kernel plus alpha * I was not positive definite); keeping the "
                "starting hyperparameters. Try a larger 'alpha'.", ConvergenceWarning)
            return dict(zip(names, start.tolist())), None
        _warn_at_bounds(names, theta, bounds)
        return dict(zip(names, np.exp(theta).tolist())), -float(value)

    def _constrained_optimization(self, obj_func, initial_theta, bounds):
        if self.optimizer == "fmin_l_bfgs_b":
            result = scipy.optimize.minimize(obj_func, initial_theta, method="L-BFGS-B",
                                             jac=True, bounds=bounds)
            if not result.success:
                warn(
                    f"lbfgs failed to converge (status={result.status}): "
                    f"{result.message}. Increase the number of restarts "
                    "(n_restarts_optimizer) or change the bounds in 'learn'.",
                    ConvergenceWarning)
            return result.x, result.fun
        return self.optimizer(obj_func, initial_theta, bounds=bounds)

    def log_marginal_likelihood(self, theta=None, eval_gradient=False):
        """Log marginal likelihood of the training targets under the NNGP, as GPR's.

        Summed over the outputs, of the targets as fitted (standardised when
        ``normalize_y=True``; the centred one-hot targets of a classifier).

        Parameters
        ----------
        theta : array-like of shape (n_learned,) or None, default=None
            Logarithms of the values of the hyperparameters named in
            ``hyperparameters_`` (in its order); None returns
            ``log_marginal_likelihood_value_``, that of the fitted model.
        eval_gradient : bool, default=False
            Also return the gradient with respect to ``theta``; only with a
            ``theta``.

        Returns
        -------
        log_likelihood : float
            ``-inf`` where the kernel plus ``alpha * I`` is not positive definite.
        log_likelihood_gradient : ndarray of shape (n_learned,)
            Only with ``eval_gradient=True``.

        Examples
        --------
        >>> import numpy as np
        >>> from skattn import AttentionNNGPRegressor
        >>> X = np.random.default_rng(0).normal(size=(20, 4, 2))
        >>> y = X[:, :, 0].mean(axis=1)
        >>> reg = AttentionNNGPRegressor(n_blocks=1, alpha=1e-2).fit(X, y)
        >>> round(reg.log_marginal_likelihood(), 1)
        8.5
        >>> value, grad = reg.log_marginal_likelihood(np.log([1.0, 2.0]), eval_gradient=True)
        >>> list(reg.hyperparameters_), grad.shape
        (['qk_std', 'w_std'], (2,))
        """
        check_is_fitted(self)
        if theta is None:
            if eval_gradient:
                raise ValueError("Gradient can only be evaluated for theta!=None")
            return self.log_marginal_likelihood_value_
        names = tuple(self.hyperparameters_)
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (len(names),):
            raise ValueError(f"theta must have shape ({len(names)},): the logs of "
                             f"{list(names)}; got shape {theta.shape}.")
        X = np.asarray(self.X_train_, dtype=self.dtype)
        return self._objective(X, self.y_train_, names)(theta, eval_gradient)


def _warn_at_bounds(names, theta, bounds):
    """GPR's warning when an optimum lies at a bound of its search box."""
    for name, value, (low, high) in zip(names, theta, bounds):
        for side, bound, change in (("lower", low, "Decreasing"), ("upper", high, "Increasing")):
            if np.isclose(value, bound):
                warn(
                    f"The optimal value found for {name} is close to the specified "
                    f"{side} bound {np.exp(bound):.3g}. {change} the bound (in 'learn') "
                    "and calling fit again may find a better value.", ConvergenceWarning)
