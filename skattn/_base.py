"""The estimator base shared by the four attention estimators.

It holds everything that does not depend on the targets: the parameters of
the architecture and their validation, the kernel computation, the fit
(kernels, factorisation, dual coefficients) and the posterior at new inputs.
Subclasses say which model they are (``_model``, from :mod:`skattn._inference`:
the NNGP's exact posterior or the NTK's gradient descent) and turn targets into
a ``(n_samples, n_outputs)`` float array (``_encode_targets``).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_memory, validate_data

from . import _inference
from ._hyperparameters import CONSTRAINTS, DEFAULT_LEARN, LearnedHyperparametersMixin, \
    kernel_values, with_values
from ._inputs import as_float, as_sequences, reject_ragged
from ._warnings import warn
from .kernels import TRANSFORMER_DEFAULTS, Layer, transformer
from .kernels._activations import ACTIVATIONS
from .kernels._attention import DECAYS, MECHANISMS, POSITIONAL
from .kernels._compute import PRECISIONS, own_pass_nbytes
from .kernels._engine import Engine
from .networks import monte_carlo_kernel
from .networks._monte_carlo import seed_of

_NONNEGATIVE = Interval(Real, 0, None, closed="left")
#: Largest training-set pass a fitted model keeps (``train_pass_``): beyond it
#: (long sequences: 2 L**2 entries a sequence) predictions walk it again.
KEPT_PASS_BYTES = 2**30
#: The estimators' architecture defaults: those of `transformer` (neural-tangents')
#: except that the kernel sees token order, chosen by benchmarks/defaults.py.
ARCHITECTURE_DEFAULTS = {**TRANSFORMER_DEFAULTS, "positional": "sum", "val_pos_emb": True}
#: The constraint of the gradient-descent estimators' training time ``t``.
TIME_CONSTRAINT = {"t": [_NONNEGATIVE, None]}


def compute_kernels(layer, X1, X2, kinds, diagonal, precision, engine, monte_carlo=None,
                    passes=(None, None)):
    """``layer``'s kernels computed by ``engine`` (the function ``memory`` caches).

    ``engine`` and ``passes`` are not in the cache key: they change how the
    kernels are computed, not what they are, but for the precision, which is
    (``precision`` is ``engine.precision``).  ``passes`` are the own passes of
    ``X1`` and ``X2`` where known (:meth:`Engine.own_pass`): not walked again.

    With ``diagonal=True`` only the diagonal of ``X1``'s own kernel is wanted:
    the sequence-by-itself pass (:meth:`Layer.diag`), ``O(n1)`` work.
    ``monte_carlo`` (the keywords of :func:`~skattn.networks.monte_carlo_kernel`,
    its seed included) estimates them from sampled networks instead.
    """
    if monte_carlo is not None:  # the sampled networks' products at the same precision
        return monte_carlo_kernel(layer, X1, X2, get=kinds, diagonal=diagonal,
                                  precision=precision, **monte_carlo)
    if not diagonal:
        return engine.kernel(layer, X1, X2, get=kinds, passes=passes)
    return engine.diag(layer, X1, get=kinds)


class InconsistentVersionWarning(UserWarning):
    """An estimator was unpickled by a skattn version other than the one that saved it."""


class _AttentionBase(LearnedHyperparametersMixin, BaseEstimator):
    """Fit and posterior of an infinitely wide attention network.

    Not an estimator on its own: see :class:`AttentionNNGPRegressor` and its
    siblings. Subclasses set ``_model`` (:class:`~skattn._inference.NNGPModel`,
    the Bayesian posterior, or :class:`~skattn._inference.NTKModel`, gradient
    descent, with `GradientDescentMixin`), ``_target_checks`` (passed to
    ``validate_data`` for ``y``) and ``_encode_targets``.
    """

    _model = _inference.NNGPModel
    _target_checks = {}

    _parameter_constraints: dict = {
        "n_blocks": [Interval(Integral, 0, None, closed="left")],
        "attention": [StrOptions(set(MECHANISMS))],
        "scaling": [StrOptions({"linear", "sqrt"})],
        "qk_std": [_NONNEGATIVE],
        "ov_std": [_NONNEGATIVE],
        "positional": [StrOptions(set(POSITIONAL))],
        "pos_std": [_NONNEGATIVE],
        "pos_decay": [StrOptions({d for d in DECAYS if d is not None}), None],
        "pos_scale": [Interval(Real, 0, None, closed="neither")],
        "pos_p_norm": [_NONNEGATIVE],
        "val_pos_emb": ["boolean"],
        "layer_norm": [StrOptions({"post", "pre", "none"})],
        "residual": ["boolean"],
        "mlp": ["boolean"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "w_std": [_NONNEGATIVE],
        "b_std": [_NONNEGATIVE],
        "filter_size": [Interval(Integral, 1, None, closed="left")],
        "pool": [Interval(Integral, 1, None, closed="left")],
        "alpha": [_NONNEGATIVE],
        "dtype": [StrOptions({"float32", "float64"})],
        "architecture": [None, Layer],
        "kernel_method": [StrOptions({"exact", "monte_carlo"})],
        "width": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_jobs": [Integral, None],
        "device": [None, str],  # a name: a jax.Device cannot be cloned or pickled
        "precision": [StrOptions(set(PRECISIONS))],
        "memory": [None, str, HasMethods(["cache"])],
        "verbose": ["verbose"],
        **CONSTRAINTS,
    }

    def __init__(
        self, *, n_blocks=2, attention="softmax", scaling="linear", qk_std=1.0,
        ov_std=1.0, positional="sum", pos_std=1.0, pos_decay=None, pos_scale=1.0,
        pos_p_norm=2, val_pos_emb=True, layer_norm="post", residual=True,
        mlp=True, activation="relu", w_std=1.0, b_std=0.0, filter_size=1, pool=1,
        alpha=1e-6, dtype="float64", random_state=None, architecture=None,
        kernel_method="exact", width=64, n_heads=1, n_samples=64, batch_size="auto",
        n_jobs=None, device=None, precision="highest", memory=None, verbose=False,
        optimizer=None, n_restarts_optimizer=0, learn=DEFAULT_LEARN,
    ):
        self.n_blocks = n_blocks
        self.attention = attention
        self.scaling = scaling
        self.qk_std = qk_std
        self.ov_std = ov_std
        self.positional = positional
        self.pos_std = pos_std
        self.pos_decay = pos_decay
        self.pos_scale = pos_scale
        self.pos_p_norm = pos_p_norm
        self.val_pos_emb = val_pos_emb
        self.layer_norm = layer_norm
        self.residual = residual
        self.mlp = mlp
        self.activation = activation
        self.w_std = w_std
        self.b_std = b_std
        self.filter_size = filter_size
        self.pool = pool
        self.alpha = alpha
        self.dtype = dtype
        self.architecture = architecture
        self.kernel_method = kernel_method
        self.width = width
        self.n_heads = n_heads
        self.n_samples = n_samples
        self.random_state = random_state
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.device = device
        self.precision = precision
        self.memory = memory
        self.verbose = verbose
        self.optimizer = optimizer
        self.n_restarts_optimizer = n_restarts_optimizer
        self.learn = learn

    # ------------------------------------------------------------------ kernels

    def _architecture(self):
        """The layer of the parameters: ``architecture`` or the flat one (a fitted
        model uses ``kernel_``, with the learned values)."""
        if self.architecture is not None:
            return self.architecture
        params = {name: getattr(self, name) for name in TRANSFORMER_DEFAULTS}
        # numpy scalars (from a parameter grid) as the plain Python values layers check
        params = {k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()}
        return transformer(**params)

    def _kernels(self, X1, X2=None, kinds=("nngp",), diagonal=False, names=("X", "X"),
                 seed=None, passes=(None, None), layer=None):
        """The kernels of the architecture: every kernel the estimator uses comes from here.

        Returns a dict ``kind -> (n1, n2)`` array in the estimator's dtype, or,
        with ``diagonal=True``, ``kind -> (n1,)``: the diagonal of ``X1``'s own
        kernel.  Results are cached in ``memory`` when it is set.  A kernel
        entry that is not finite is an error naming the sample of ``X1``
        (called ``names[0]`` in it) that overflowed.  ``seed`` seeds the
        networks of ``kernel_method="monte_carlo"`` (default: those fit drew).
        ``passes`` are :meth:`_own_pass` of ``X1`` and ``X2`` where known.
        ``layer`` is the network (default: that of the parameters).
        """
        X1 = as_float(X1, self.dtype, names[0])
        if X2 is not None:
            X2 = as_float(X2, self.dtype, names[1])
        compute = check_memory(self.memory).cache(compute_kernels, ignore=["engine", "passes"])
        monte_carlo = None
        if self.kernel_method == "monte_carlo":  # the networks fit drew, or fresh ones
            seed = getattr(self, "kernel_seed_", None) if seed is None else seed
            monte_carlo = dict(width=self.width, n_heads=self.n_heads, n_samples=self.n_samples,
                               random_state=seed_of(self.random_state) if seed is None else seed)
        layer = self._architecture() if layer is None else layer
        kernels = compute(layer, X1, X2, tuple(kinds), diagonal, self.precision,
                          self._engine(), monte_carlo, passes)
        for kind, K in kernels.items():
            self._check_finite(kind, K, X1, X2, names)
        return kernels

    def _fitted_layer(self):
        """The fitted network: ``kernel_`` (the parameters' for a model pickled before it)."""
        layer = getattr(self, "kernel_", None)
        return self._architecture() if layer is None else layer

    def _own_pass(self, X, layer=None):
        """Each sequence of the validated ``X`` with itself (exact kernels; else None).

        ``O(n)`` work whose result, an ``OwnPass``,
        the pairs then read: fit keeps the training set's (``train_pass_``), so
        that predictions compute only their new sequences' pass and the cross
        pairs.
        """
        if self.kernel_method != "exact":
            return None
        layer = self._architecture() if layer is None else layer
        X = as_float(X, self.dtype)
        if own_pass_nbytes(layer, X) > KEPT_PASS_BYTES:  # long sequences: walk again
            return None
        return self._engine().own_pass(layer, X)

    def _engine(self):
        """How the kernels are computed: the engine of the estimator's parameters."""
        return Engine(batch_size=self.batch_size, device=self.device, n_jobs=self.n_jobs,
                      precision=self.precision, progress=bool(self.verbose))

    def _check_finite(self, kind, K, X1, X2, names):
        """Raise if ``K`` has a non-finite entry: inputs that overflow inside the network."""
        for start in range(0, len(K), 1024):
            finite = np.isfinite(K[start:start + 1024])
            if finite.all():
                continue
            bad = np.argwhere(~finite)[0] + (start, 0)[:finite.ndim]
            # the culprit is the sample with the largest values of the pair
            size1 = np.nanmax(np.abs(X1[bad[0]]))
            other = X1 if X2 is None else X2
            size2 = -1.0 if len(bad) == 1 else np.nanmax(np.abs(other[bad[1]]))
            name, i, size = ((names[0], bad[0], size1) if size1 >= size2
                             else (names[X2 is not None], bad[1], size2))
            largest = np.finfo(self.dtype).max
            why = (f"their squares exceed {largest:.3g}" if size > np.sqrt(largest) else
                   "each attention layer multiplies kernels together, so without layer "
                   "normalisation they grow with the inputs' scale and the depth")
            advice = "" if self.dtype == "float64" else ", or use dtype='float64'"
            if self.architecture is None and self.layer_norm == "none":
                advice = ", normalise inside the network (layer_norm='pre' or 'post')" + advice
            raise FloatingPointError(
                f"The {kind} kernel of {name}'s sample {i} is not finite: its token "
                f"values (up to {size:.3g} in magnitude) overflow {self.dtype} arithmetic "
                f"inside the network, whose kernels multiply token values ({why}), or "
                "become NaN from inf - inf. Scale the inputs, e.g. with "
                f"skattn.SequenceScaler{advice}."
            )

    def compute_kernel(self, X1, X2=None, kind=None):
        """Kernel of the configured architecture between two batches of sequences.

        Usable before `fit`: it depends on the parameters only.

        Parameters
        ----------
        X1 : array-like of shape (n1, n_tokens, n_token_features) or (n1, n_tokens)
            Sequences padded with all-NaN tokens.
        X2 : array-like of shape (n2, n_tokens2, n_token_features) or (n2, n_tokens2), \
default=None
            None means ``X1`` against itself.
        kind : {"nngp", "ntk"} or None, default=None
            Which kernel; None is the one the estimator is trained with.

        Returns
        -------
        kernel : ndarray of shape (n1, n2)
            In the estimator's ``dtype``.

        Examples
        --------
        >>> import numpy as np
        >>> from skattn import AttentionNTKRegressor
        >>> X = np.random.default_rng(0).normal(size=(5, 3))
        >>> reg = AttentionNTKRegressor(n_blocks=1)
        >>> reg.compute_kernel(X).shape, reg.compute_kernel(X, X[:2], kind="nngp").shape
        ((5, 5), (5, 2))
        """
        self._validate_params()
        reject_ragged(X1, "X1")
        reject_ragged(X2, "X2")
        kind = self._model.kind if kind is None else kind
        if kind not in ("nngp", "ntk"):
            raise ValueError(f"kind must be 'nngp', 'ntk' or None; got {kind!r}.")
        return self._kernels(X1, X2, (kind,), names=("X1", "X2"))[kind]

    # ---------------------------------------------------------------- inputs

    def _validate_X(self, X, y="no_validation", reset=False):
        """``validate_data`` with padding allowed, then the sequence checks."""
        reject_ragged(X, "X")
        shape = np.shape(X) if isinstance(X, (list, tuple)) else getattr(X, "shape", ())
        length = () if reset else tuple(shape)[1:2]
        if length and length[0] != self.n_features_in_:
            # scikit-learn's sentence stays (its estimator checks look for it), explained
            raise ValueError(
                f"X has sequences of {length[0]} token positions, but "
                f"{type(self).__name__} was fitted on {self.n_features_in_}. Pad (or "
                f"truncate) them to {self.n_features_in_} positions, e.g. with a "
                "SequencePadder fitted on the training sequences. (scikit-learn counts "
                f"token positions as features: X has {length[0]} features, but "
                f"{type(self).__name__} is expecting {self.n_features_in_} features as "
                "input.)"
            )
        # float64 kept as it is, so that values too large for float32 get their own error
        checks = dict(allow_nd=True, ensure_all_finite=False, dtype=(np.float64, np.float32))
        try:
            if isinstance(y, str) and y == "no_validation":
                X = validate_data(self, X, reset=reset, **checks)
            else:
                X, y = validate_data(self, X, y, reset=reset, **checks, **self._target_checks)
        except ValueError as error:
            if "could not convert string" not in str(error):
                raise
            raise ValueError(
                f"X must hold numbers ({error}). For text, turn each document into a "
                "sequence of word vectors first with skattn.text.TokenEmbedder."
            ) from error
        X = as_float(X, self.dtype)
        as_sequences(X, "X")  # NaN only as whole padding tokens; no inf; no empty sequence
        width = 1 if X.ndim == 2 else X.shape[2]
        if reset and X.shape[1] == 1 and width > 1:
            warn(
                f"X has one token per sequence (shape {X.shape}), so attention has nothing "
                "to attend to. If X is (n_samples, n_channels, n_timepoints), as aeon and "
                "sktime store series, pass X.transpose(0, 2, 1), or put "
                "SequencePadder(channels_first=True) first in a pipeline.")
        if not reset and width != self.n_token_features_:
            read_as = " (a 2-D X is read as sequences of 1-feature tokens)" if X.ndim == 2 else ""
            raise ValueError(
                f"X has tokens of {width} features{read_as}, but {type(self).__name__} "
                f"was fitted on tokens of {self.n_token_features_} features."
            )
        return X, y, width

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # all-NaN tokens are padding
        tags.input_tags.three_d_array = True
        return tags

    # ------------------------------------------------------------- pickling

    def __getstate__(self):
        """The state, with the skattn version that wrote it (as scikit-learn's)."""
        from . import __version__

        return dict(super().__getstate__(), _skattn_version=__version__)

    def __setstate__(self, state):
        """Restore; warn when the state was written by another skattn version."""
        from . import __version__

        state = dict(state)
        saved = state.pop("_skattn_version", "unknown")
        if saved != __version__:
            warn(InconsistentVersionWarning(
                f"Trying to unpickle estimator {type(self).__name__} from skattn version "
                f"{saved} when using version {__version__}. This might lead to breaking "
                "code or invalid results. Use at your own risk; refit it to be safe."
            ))
        super().__setstate__(state)

    # ------------------------------------------------------------------- fit

    def fit(self, X, y):
        """Compute the train kernels and factorise them.

        A call that raises, or is interrupted (``KeyboardInterrupt``), leaves a
        previously fitted model as it was.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens, n_token_features) or \
(n_samples, n_tokens)
            Training sequences padded with all-NaN tokens; a 2-D array holds
            ``n_tokens`` one-feature tokens per sample.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets (regressors) or class labels (classifiers).

        Returns
        -------
        self : object
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skattn import AttentionNNGPRegressor
        >>> X = np.random.default_rng(0).normal(size=(5, 3))
        >>> reg = AttentionNNGPRegressor(n_blocks=1).fit(X, X.sum(axis=1))
        >>> reg.n_features_in_, reg.dual_coef_.shape
        (3, (5, 1))
        """
        before = dict(vars(self))
        try:
            # validate_data sets n_features_in_ (and feature_names_in_) on self;
            # everything else is assigned at once, last
            vars(self).update(self._fit(X, y))
        except BaseException:  # also KeyboardInterrupt: never a half-updated model
            vars(self).clear()
            vars(self).update(before)
            raise
        return self

    def _fit(self, X, y):
        """The fitted attributes, as a dict, computed without assigning them."""
        self._validate_params()
        X, y, width = self._validate_X(X, y, reset=True)
        targets, fitted = self._encode_targets(y)
        if self.kernel_method == "monte_carlo":  # predictions reuse these networks
            fitted["kernel_seed_"] = seed_of(self.random_state)
        learned, lml = self._learn(X, targets)  # the parameters' values without optimizer
        layer = with_values(self._architecture(), kernel_values(learned))
        alpha = learned.get("alpha", self.alpha)
        train_pass = self._own_pass(X, layer)
        kernels = self._kernels(X, None, self._model.train_kinds, seed=fitted.get("kernel_seed_"),
                                passes=(train_pass, None), layer=layer)
        posterior = self._model(kernels, alpha, targets, self._time(), self.dtype)
        if lml is None:  # the fitted model's, as GPR's without an optimizer
            lml = posterior.nngp_log_marginal_likelihood(targets)
        return dict(fitted, n_token_features_=width, X_train_=X, y_train_=targets,
                    train_pass_=train_pass, posterior_=posterior,
                    dual_coef_=posterior.dual_coef, kernel_=layer, alpha_=alpha,
                    hyperparameters_=learned, log_marginal_likelihood_value_=lml)

    def _time(self):
        """Training time: None (infinite, the exact posterior) unless gradient descent."""
        return None

    # -------------------------------------------------------------- posterior

    def _test_kernels(self, X, kinds, layer):
        """The own pass of the validated new sequences ``X`` (None where there is
        none) and their kernels against the training set, ``kind -> (n, n_train)``
        in float64, from the two passes: only ``X``'s sequences are walked."""
        test_pass = self._own_pass(X, layer)
        # a model pickled before train_pass_ existed walks its training set again
        passes = (test_pass, getattr(self, "train_pass_", None))
        test_train = self._kernels(X, self.X_train_, kinds, passes=passes, layer=layer)
        return test_pass, {k: np.asarray(K, dtype=np.float64) for k, K in test_train.items()}

    def _own_diagonal(self, X, test_pass, kind, layer):
        """``K(x, x)`` of ``kind`` for each sequence of ``X``, ``(n,)`` in float64:
        from its own pass ``test_pass`` where there is one."""
        if test_pass is None:
            diagonal = self._kernels(X, kinds=(kind,), diagonal=True, layer=layer)[kind]
        else:
            diagonal = test_pass.diagonal[kind]
            self._check_finite(kind, diagonal, X, None, ("X", "X"))
        return np.asarray(diagonal, dtype=np.float64)

    def _posterior(self, X, covariance=None):
        """Posterior mean ``(n, n_outputs)`` at ``X`` and, if asked, its covariance.

        ``covariance`` is None, "diagonal" (an ``(n,)`` variance, negative
        values from rounding clipped to 0) or "full" (``(n, n)``); the outputs
        share it. Both are in the units of the encoded targets.
        """
        check_is_fitted(self)
        X, _, _ = self._validate_X(X)
        model = self.posterior_
        layer = self._fitted_layer()
        test_pass, test_train = self._test_kernels(X, model.test_kinds(covariance), layer)
        mean = model.mean(test_train)
        if covariance is None:
            return mean, None
        diagonal = covariance == "diagonal"
        if diagonal:
            nngp_test = self._own_diagonal(X, test_pass, "nngp", layer)
        else:
            nngp_test = self._kernels(X, kinds=("nngp",), passes=(test_pass, None),
                                      layer=layer)["nngp"]
            nngp_test = np.asarray(nngp_test, dtype=np.float64)
        cov = model.covariance(nngp_test, test_train)
        if diagonal:
            cov = _inference.clipped_variance(cov, nngp_test, self.dtype)
        return mean, cov


class GradientDescentMixin:
    """What the NTK estimators add: the training time ``t`` and the NTK model."""

    _model = _inference.NTKModel

    def _time(self):
        return self.t
