"""Regression with infinitely wide attention networks: NNGP and NTK."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils import check_random_state

from ._base import TIME_CONSTRAINT, GradientDescentMixin, _AttentionBase
from ._hyperparameters import DEFAULT_LEARN


class _AttentionRegressor(RegressorMixin, _AttentionBase):
    """Targets, prediction and sampling shared by the two regressors."""

    _target_checks = dict(multi_output=True, y_numeric=True)

    _parameter_constraints: dict = {
        **_AttentionBase._parameter_constraints,
        "normalize_y": ["boolean"],
        "random_state": ["random_state"],
    }

    def _encode_targets(self, y):
        """``y`` as ``(n_samples, n_targets)`` float64, normalised if asked (as GPR).

        Returns the targets and the fitted attributes that undo the
        normalisation (not assigned here: `fit` assigns everything at once).
        """
        y = np.asarray(y, dtype=np.float64)
        y = y[:, None] if y.ndim == 1 else y
        if self.normalize_y:
            std = y.std(axis=0)
            mean = y.mean(axis=0)
            # a constant target keeps scale 1 (sklearn's _handle_zeros_in_scale)
            std = np.where(std < 10 * np.finfo(std.dtype).eps, 1.0, std)
        else:
            mean, std = np.zeros(y.shape[1]), np.ones(y.shape[1])
        return (y - mean) / std, dict(_y_train_mean=mean, _y_train_std=std)

    def predict(self, X, return_std=False, return_cov=False):
        """Posterior mean at ``X`` and, optionally, its standard deviation or covariance.

        The outputs share one covariance, scaled per output when
        ``normalize_y=True``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens, n_token_features) or \
(n_samples, n_tokens)
            Sequences padded with all-NaN tokens.
        return_std : bool, default=False
            Also return the standard deviation at each sequence.
        return_cov : bool, default=False
            Also return the covariance between the sequences.

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
        y_std : ndarray of shape (n_samples,) or (n_samples, n_targets), optional
            Only with ``return_std=True``. Negative variances are set to 0,
            with a warning when they are beyond rounding (as scikit-learn's GPR).
        y_cov : ndarray of shape (n_samples, n_samples) or \
(n_samples, n_samples, n_targets), optional
            Only with ``return_cov=True``.

        Examples
        --------
        >>> import numpy as np
        >>> from skattn import AttentionNNGPRegressor
        >>> X = np.random.default_rng(0).normal(size=(6, 3))
        >>> reg = AttentionNNGPRegressor(n_blocks=1).fit(X, X.sum(axis=1))
        >>> mean, std = reg.predict(X[:2], return_std=True)
        >>> mean.shape, bool(np.all(std < 0.01))
        ((2,), True)
        """
        if return_std and return_cov:
            raise RuntimeError("At most one of return_std or return_cov can be requested.")
        covariance = "full" if return_cov else "diagonal" if return_std else None
        mean, cov = self._posterior(X, covariance)
        single = mean.shape[1] == 1
        mean = mean * self._y_train_std + self._y_train_mean
        mean = mean[:, 0] if single else mean
        if covariance is None:
            return mean
        if return_std:
            std = np.sqrt(cov)[:, None] * self._y_train_std
            return mean, std[:, 0] if single else std
        cov = cov[:, :, None] * self._y_train_std**2
        return mean, cov[:, :, 0] if single else cov

    def sample_y(self, X, n_samples=1, random_state=None):
        """Draw functions from the posterior at ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples_X, n_tokens, n_token_features) or \
(n_samples_X, n_tokens)
            Sequences padded with all-NaN tokens.
        n_samples : int, default=1
            Number of functions drawn.
        random_state : int, RandomState instance or None, default=None
            None uses the estimator's ``random_state``.

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
(n_samples_X, n_targets, n_samples)

        Examples
        --------
        >>> import numpy as np
        >>> from skattn import AttentionNTKRegressor
        >>> X = np.random.default_rng(0).normal(size=(6, 3))
        >>> reg = AttentionNTKRegressor(n_blocks=1, random_state=0).fit(X, X[:, 0])
        >>> reg.sample_y(X[:4], n_samples=3).shape
        (4, 3)
        """
        rng = check_random_state(self.random_state if random_state is None else random_state)
        mean, cov = self.predict(X, return_cov=True)
        if mean.ndim == 1:
            return rng.multivariate_normal(mean, cov, n_samples).T
        return np.stack([rng.multivariate_normal(mean[:, k], cov[..., k], n_samples).T
                         for k in range(mean.shape[1])], axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        # sklearn's check_regressors_train wants R^2 > 0.5 on make_regression with
        # alpha=0.01: ten one-feature tokens, one informative. A fixed (not fitted)
        # kernel this smooth gets about 0.1 there, which is what the tag declares.
        tags.regressor_tags.poor_score = True
        return tags


class AttentionNNGPRegressor(_AttentionRegressor):
    """Gaussian process regression with the NNGP of an infinitely wide transformer.

    The posterior of the Bayesian network whose width goes to infinity: exact
    GP regression (Rasmussen & Williams, Alg. 2.1) with the network's NNGP as
    the kernel (Hron et al., "Infinite attention", ICML 2020). Each output of a
    multi-output ``y`` is an independent GP with the same kernel.

    Parameters
    ----------
    n_blocks : int, default=2
        Number of transformer blocks, each an attention sub-block and (if
        ``mlp``) a feed-forward one. Each block mixes the tokens once more;
        the cost grows linearly with it. 0 leaves the kernel of the mean
        embedded token.
    attention : {"softmax", "identity", "relu", "abs"}, default="softmax"
        Map from the query-key logits to the attention weights. "softmax"
        normalises each query's weights over the real tokens; the others
        apply their function to the logits without normalising (Hron et al.
        2020, sec. 4).
    scaling : {"linear", "sqrt"}, default="linear"
        "linear": logits scaled by ``1/d`` with tied query and key weights,
        so that each sequence's attention matrix becomes deterministic in the
        limit and the kernel is sandwiched between the two sequences'
        attention matrices. "sqrt": the usual ``1/sqrt(d)``, with a closed
        form for ``attention="identity"`` only.
    qk_std : float, default=1.0
        Scale of the query-key product: multiplies the logits, an inverse
        temperature. Larger values make softmax attention sharper; 0 makes it
        uniform.
    ov_std : float, default=1.0
        Scale of the output-value product: multiplies the attention branch's
        kernel by ``ov_std**2``, its weight against the residual path.
    positional : {"none", "sum", "concat"}, default="sum"
        Random positional embeddings. "none": the kernel cannot tell positions
        apart and does not change when the tokens are permuted (a bag of
        tokens). "sum": embeddings added to the tokens, which adds
        ``pos_std**2`` times their covariance to the kernel the attention
        sees. "concat": concatenated, which halves both parts. The default
        differs from :func:`skattn.kernels.transformer`'s "none" (that of
        neural-tangents): the user guide's "Defaults" has the benchmark that
        chose it. Use "none" when token order does not matter.
    pos_std : float, default=1.0
        Scale of the positional embeddings: how much position counts against
        content. Unused with ``positional="none"``.
    pos_decay : {"exp", "inverse"} or None, default=None
        Covariance of the embeddings of positions ``s`` and ``t``: None makes
        every position unrelated (the identity); "exp" is
        ``exp(-|s - t|**p / pos_scale)`` and "inverse" is
        ``1 / (1 + |s - t|**p / pos_scale)``, so that nearby positions look
        alike.
    pos_scale : float, default=1.0
        Length scale of ``pos_decay``, in positions; positive.
    pos_p_norm : float, default=2
        Power ``p`` of the distance in ``pos_decay``.
    val_pos_emb : bool, default=True
        Whether the values, not only the queries and keys, see the positional
        embeddings. Without it positions only steer the attention weights and
        the output averages position-free values; with it the kernel depends
        on where each token stands. The default differs from
        :func:`skattn.kernels.transformer`'s False, as ``positional``'s does.
    layer_norm : {"post", "pre", "none"}, default="post"
        Where each sub-block ``f`` normalises: ``LN(h + f(h))`` ("post"),
        ``h + f(LN(h))`` ("pre"), or not at all. In the limit layer
        normalisation divides each token's kernel entries by the token's
        standard deviation, so the kernel sees directions, not magnitudes.
    residual : bool, default=True
        Whether each sub-block adds its input back; the kernels of the two
        branches then add.
    mlp : bool, default=True
        Whether each block has the feed-forward sub-block
        ``Dense -> activation -> Dense``.
    activation : {"relu", "erf", "gelu", "identity"}, default="relu"
        Nonlinearity of the feed-forward sub-block, through its closed-form
        Gaussian expectation ("relu": the arc-cosine kernel).
    w_std : float, default=1.0
        Weight scale of every Dense layer: multiplies the kernels by
        ``w_std**2``. Through the readout it sets the prior's amplitude.
    b_std : float, default=0.0
        Bias scale of every Dense layer and of the attention output: adds
        ``b_std**2`` to the kernels.
    filter_size : int, default=1
        Tokens the embedding spans: with ``filter_size > 1`` the embedding is a
        convolution (:class:`skattn.kernels.Conv1D`, ``padding="same"``) that
        embeds each token with its neighbours; 1 is a Dense embedding.
    pool : int, default=1
        Average-pooling factor between the embedding and the blocks
        (:class:`skattn.kernels.AvgPool1D`, ``padding="same"``): the blocks see
        ``ceil(n_tokens / pool)`` tokens, and each attention layer after the
        first costs about ``pool**3`` times less. For long sequences.
    alpha : float, default=1e-6
        Added to the diagonal of the train kernel (absolute, as in
        :class:`sklearn.gaussian_process.GaussianProcessRegressor`): the
        variance of Gaussian observation noise, and a jitter that keeps the
        kernel positive definite.
    normalize_y : bool, default=False
        Standardise each target before fitting and undo it in `predict`.
    dtype : {"float64", "float32"}, default="float64"
        Precision of the kernel computation. The linear algebra on the kernels
        is done in float64 either way.
    random_state : int, RandomState instance or None, default=None
        Seeds `sample_y` when it is not given a ``random_state`` of its own,
        the networks of ``kernel_method="monte_carlo"`` (an int gives the
        same kernels on every fit), and the optimizer's restarts.
    architecture : skattn.kernels.Layer or None, default=None
        A composition of :mod:`skattn.kernels` layers (ending in pooling and a
        Dense readout) used instead of the flat architecture parameters,
        ``n_blocks`` to ``pool``, which are then ignored.
    kernel_method : {"exact", "monte_carlo"}, default="exact"
        "exact" computes the analytic kernels. "monte_carlo" estimates them
        by averaging ``n_samples`` sampled networks of finite width
        (:func:`skattn.networks.monte_carlo_kernel`) seeded by ``random_state``:
        the way to ``scaling="sqrt"`` with softmax, relu or abs attention,
        which have no closed form. Its error falls as ``1/sqrt(n_samples)``
        and its bias as ``1/width``; it costs ``n_samples`` forward passes per
        sequence (and as many gradients for the NTK).
    width : int, default=64
        Channels of every layer of the networks ``kernel_method="monte_carlo"``
        samples; the estimate's bias falls as ``1/width``. Ignored by
        ``kernel_method="exact"``.
    n_heads : int, default=1
        Attention heads of the networks ``kernel_method="monte_carlo"``
        samples. Ignored by ``kernel_method="exact"``.
    n_samples : int, default=64
        Number of sampled networks ``kernel_method="monte_carlo"`` averages;
        the estimate's error falls as ``1/sqrt(n_samples)``. Ignored by
        ``kernel_method="exact"``.
    batch_size : int or "auto", default="auto"
        Sequences a side of the tiles the kernel computation is cut into;
        memory grows as ``batch_size**2 * n_tokens**2``. "auto" chooses it for
        the device: a tile near 2**18 token pairs on a CPU, 2**28 on a GPU or
        TPU, within half the device's memory.
    n_jobs : int or None, default=None
        Processes computing kernel blocks through :class:`joblib.Parallel`.
        None computes in this process, unless a ``joblib.parallel_config``
        (for instance ``backend="dask"``) is active.
    device : str or None, default=None
        Pin the kernel computation to one device, by name: "cpu", "gpu", "gpu:1"
        (the second GPU), resolved when the kernel is computed so that the
        estimator can be cloned and pickled. None spreads it over all of
        ``jax.devices()``.
    precision : {"highest", "high", "default"}, default="highest"
        Precision of the kernels' matrix products. "default" is the platform's
        fastest: on recent NVIDIA GPUs TF32, 1.3x faster on an H200, with
        float32 kernels up to 2e-4 relative from float64 instead of 1e-5. No
        difference on a CPU.
    memory : str, joblib.Memory or None, default=None
        Cache the kernel matrices, keyed by the architecture, the dtype and a
        hash of the data, so that a grid search over ``alpha`` (or ``t``)
        computes each kernel once. A string is the cache directory.
    verbose : bool, default=False
        Show a progress bar over the kernel computation. False shows none,
        however long the computation.
    optimizer : "fmin_l_bfgs_b", callable or None, default=None
        How `fit` chooses the hyperparameters named in ``learn``. None keeps
        the parameters' values. "fmin_l_bfgs_b" maximises the log marginal
        likelihood of the training targets under the network's NNGP, with
        ``alpha`` as its noise variance (the NTK estimators too: their NTK has
        no likelihood of its own), by scipy's L-BFGS-B with the exact gradient.
        A callable ``optimizer(obj_func, initial_theta, bounds)`` returns
        ``(theta_opt, func_min)``, as for
        :class:`~sklearn.gaussian_process.GaussianProcessRegressor`. See the
        user guide, "Learning hyperparameters".
    n_restarts_optimizer : int, default=0
        Further optimizer runs from log-uniform random starts within the
        bounds, drawn by ``random_state``; the best run is kept.
    learn : tuple of str or dict, default=("qk_std", "w_std")
        The hyperparameters the optimizer learns, in log space: names among
        "qk_std", "ov_std", "w_std", "b_std", "pos_std", "pos_scale" and
        "alpha" (NNGP estimators only), or a dict ``{name: (low, high)}`` with
        their bounds (by default ``(0.01, 100)``, and ``(1e-8, 100)`` for
        ``alpha``). A name sets every layer field of that name, as the flat
        parameters do.

    Attributes
    ----------
    X_train_ : ndarray of shape (n_samples, n_tokens) or \
(n_samples, n_tokens, n_token_features)
        Training sequences, needed for the kernels at new inputs.
    train_pass_ : OwnPass or None
        The training sequences' own pass through the network (their attention
        matrices, token variances and kernel diagonal), kept so that
        predictions compute only the new sequences' pass and the cross pairs;
        None with ``kernel_method="monte_carlo"``, or when it would take
        more than 1 GiB (long sequences: ``2 L**2`` entries a sequence), in
        which case predictions walk the training set again.
    y_train_ : ndarray of shape (n_samples, n_targets)
        Targets as fitted (standardised when ``normalize_y=True``).
    posterior_ : NNGPModel
        The exact posterior: ``posterior_.solver`` holds the Cholesky factor of
        the train NNGP plus ``alpha`` on its diagonal (computed in place, in
        float64).
    dual_coef_ : ndarray of shape (n_samples, n_targets)
        The train kernel's inverse applied to ``y_train_``.
    kernel_ : skattn.kernels.Layer
        The network with the learned hyperparameters (the parameters' values
        without an optimizer).
    hyperparameters_ : dict
        The values of the hyperparameters named in ``learn``, in the order of
        ``theta`` in `log_marginal_likelihood` (the parameters' values without
        an optimizer).
    alpha_ : float
        The ``alpha`` used: learned if ``learn`` names it, else ``alpha``.
    log_marginal_likelihood_value_ : float
        The log marginal likelihood of ``y_train_`` under the fitted network's
        NNGP, with ``alpha_`` as noise variance.
    n_features_in_ : int
        Number of token positions of the training sequences.
    n_token_features_ : int
        Number of features per token.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a 2-D DataFrame ``X``, if it had string column names.

    See Also
    --------
    AttentionNTKRegressor : The same network trained by gradient descent.
    sklearn.gaussian_process.GaussianProcessRegressor : GP regression with
        classical kernels.

    Examples
    --------
    >>> import numpy as np
    >>> from skattn import AttentionNNGPRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 4, 2))  # 30 sequences of 4 tokens of 2 features
    >>> y = X[:, :, 0].mean(axis=1)
    >>> reg = AttentionNNGPRegressor(n_blocks=1, alpha=1e-2).fit(X[:20], y[:20])
    >>> round(reg.score(X[20:], y[20:]), 2)
    0.92
    """

    def __init__(
        self, *, n_blocks=2, attention="softmax", scaling="linear", qk_std=1.0,
        ov_std=1.0, positional="sum", pos_std=1.0, pos_decay=None, pos_scale=1.0,
        pos_p_norm=2, val_pos_emb=True, layer_norm="post", residual=True,
        mlp=True, activation="relu", w_std=1.0, b_std=0.0, filter_size=1, pool=1,
        alpha=1e-6,
        normalize_y=False, dtype="float64", random_state=None, architecture=None,
        kernel_method="exact", width=64, n_heads=1, n_samples=64, batch_size="auto",
        n_jobs=None, device=None, precision="highest", memory=None,
        verbose=False,
        optimizer=None, n_restarts_optimizer=0, learn=DEFAULT_LEARN,
    ):
        super().__init__(
            n_blocks=n_blocks, attention=attention, scaling=scaling, qk_std=qk_std,
            ov_std=ov_std, positional=positional, pos_std=pos_std, pos_decay=pos_decay,
            pos_scale=pos_scale, pos_p_norm=pos_p_norm, val_pos_emb=val_pos_emb,
            layer_norm=layer_norm, residual=residual, mlp=mlp, activation=activation,
            w_std=w_std, b_std=b_std, filter_size=filter_size, pool=pool, alpha=alpha,
            dtype=dtype, architecture=architecture,
            kernel_method=kernel_method, width=width, n_heads=n_heads, n_samples=n_samples,
            random_state=random_state, batch_size=batch_size, n_jobs=n_jobs, device=device,
            precision=precision,
            memory=memory, verbose=verbose,
            optimizer=optimizer, n_restarts_optimizer=n_restarts_optimizer, learn=learn,
        )
        self.normalize_y = normalize_y


class AttentionNTKRegressor(GradientDescentMixin, _AttentionRegressor):
    """An infinitely wide transformer trained by gradient descent on the squared error.

    In the infinite-width limit, gradient descent trains the network as a
    linear model in its neural tangent kernel, and its outputs over random
    initialisations are Gaussian (Jacot et al. 2018; Lee et al. 2019). The
    mean and covariance at training time ``t`` are those of neural-tangents'
    ``predict.gradient_descent_mse_ensemble`` with learning rate 1: the mean
    uses the NTK, the covariance both the NTK and the NNGP (the spread at
    initialisation).

    Parameters
    ----------
    n_blocks : int, default=2
        Number of transformer blocks, each an attention sub-block and (if
        ``mlp``) a feed-forward one. Each block mixes the tokens once more;
        the cost grows linearly with it. 0 leaves the kernel of the mean
        embedded token.
    attention : {"softmax", "identity", "relu", "abs"}, default="softmax"
        Map from the query-key logits to the attention weights. "softmax"
        normalises each query's weights over the real tokens; the others
        apply their function to the logits without normalising (Hron et al.
        2020, sec. 4).
    scaling : {"linear", "sqrt"}, default="linear"
        "linear": logits scaled by ``1/d`` with tied query and key weights,
        so that each sequence's attention matrix becomes deterministic in the
        limit and the kernel is sandwiched between the two sequences'
        attention matrices. "sqrt": the usual ``1/sqrt(d)``, with a closed
        form for ``attention="identity"`` only.
    qk_std : float, default=1.0
        Scale of the query-key product: multiplies the logits, an inverse
        temperature. Larger values make softmax attention sharper; 0 makes it
        uniform.
    ov_std : float, default=1.0
        Scale of the output-value product: multiplies the attention branch's
        kernel by ``ov_std**2``, its weight against the residual path.
    positional : {"none", "sum", "concat"}, default="sum"
        Random positional embeddings. "none": the kernel cannot tell positions
        apart and does not change when the tokens are permuted (a bag of
        tokens). "sum": embeddings added to the tokens, which adds
        ``pos_std**2`` times their covariance to the kernel the attention
        sees. "concat": concatenated, which halves both parts. The default
        differs from :func:`skattn.kernels.transformer`'s "none" (that of
        neural-tangents): the user guide's "Defaults" has the benchmark that
        chose it. Use "none" when token order does not matter.
    pos_std : float, default=1.0
        Scale of the positional embeddings: how much position counts against
        content. Unused with ``positional="none"``.
    pos_decay : {"exp", "inverse"} or None, default=None
        Covariance of the embeddings of positions ``s`` and ``t``: None makes
        every position unrelated (the identity); "exp" is
        ``exp(-|s - t|**p / pos_scale)`` and "inverse" is
        ``1 / (1 + |s - t|**p / pos_scale)``, so that nearby positions look
        alike.
    pos_scale : float, default=1.0
        Length scale of ``pos_decay``, in positions; positive.
    pos_p_norm : float, default=2
        Power ``p`` of the distance in ``pos_decay``.
    val_pos_emb : bool, default=True
        Whether the values, not only the queries and keys, see the positional
        embeddings. Without it positions only steer the attention weights and
        the output averages position-free values; with it the kernel depends
        on where each token stands. The default differs from
        :func:`skattn.kernels.transformer`'s False, as ``positional``'s does.
    layer_norm : {"post", "pre", "none"}, default="post"
        Where each sub-block ``f`` normalises: ``LN(h + f(h))`` ("post"),
        ``h + f(LN(h))`` ("pre"), or not at all. In the limit layer
        normalisation divides each token's kernel entries by the token's
        standard deviation, so the kernel sees directions, not magnitudes.
    residual : bool, default=True
        Whether each sub-block adds its input back; the kernels of the two
        branches then add.
    mlp : bool, default=True
        Whether each block has the feed-forward sub-block
        ``Dense -> activation -> Dense``.
    activation : {"relu", "erf", "gelu", "identity"}, default="relu"
        Nonlinearity of the feed-forward sub-block, through its closed-form
        Gaussian expectation ("relu": the arc-cosine kernel).
    w_std : float, default=1.0
        Weight scale of every Dense layer: multiplies the kernels by
        ``w_std**2``. Through the readout it sets the prior's amplitude.
    b_std : float, default=0.0
        Bias scale of every Dense layer and of the attention output: adds
        ``b_std**2`` to the kernels.
    filter_size : int, default=1
        Tokens the embedding spans: with ``filter_size > 1`` the embedding is a
        convolution (:class:`skattn.kernels.Conv1D`, ``padding="same"``) that
        embeds each token with its neighbours; 1 is a Dense embedding.
    pool : int, default=1
        Average-pooling factor between the embedding and the blocks
        (:class:`skattn.kernels.AvgPool1D`, ``padding="same"``): the blocks see
        ``ceil(n_tokens / pool)`` tokens, and each attention layer after the
        first costs about ``pool**3`` times less. For long sequences.
    alpha : float, default=1e-6
        Added to the diagonal of the train NTK (absolute): a ridge that also
        keeps it positive definite.
    normalize_y : bool, default=False
        Standardise each target before fitting and undo it in `predict`.
    t : float or None, default=None
        Training time of gradient flow with learning rate 1 on the loss
        ``||f(X) - y||^2 / (2 y.size)`` (neural-tangents' normalisation: the
        rate is divided by the number of target entries). None trains to
        convergence (NTK kernel regression).
    dtype : {"float64", "float32"}, default="float64"
        Precision of the kernel computation. The linear algebra on the kernels
        is done in float64 either way.
    random_state : int, RandomState instance or None, default=None
        Seeds `sample_y` when it is not given a ``random_state`` of its own,
        the networks of ``kernel_method="monte_carlo"`` (an int gives the
        same kernels on every fit), and the optimizer's restarts.
    architecture : skattn.kernels.Layer or None, default=None
        A composition of :mod:`skattn.kernels` layers (ending in pooling and a
        Dense readout) used instead of the flat architecture parameters,
        ``n_blocks`` to ``pool``, which are then ignored.
    kernel_method : {"exact", "monte_carlo"}, default="exact"
        "exact" computes the analytic kernels. "monte_carlo" estimates them
        by averaging ``n_samples`` sampled networks of finite width
        (:func:`skattn.networks.monte_carlo_kernel`) seeded by ``random_state``:
        the way to ``scaling="sqrt"`` with softmax, relu or abs attention,
        which have no closed form. Its error falls as ``1/sqrt(n_samples)``
        and its bias as ``1/width``; it costs ``n_samples`` forward passes per
        sequence (and as many gradients for the NTK).
    width : int, default=64
        Channels of every layer of the networks ``kernel_method="monte_carlo"``
        samples; the estimate's bias falls as ``1/width``. Ignored by
        ``kernel_method="exact"``.
    n_heads : int, default=1
        Attention heads of the networks ``kernel_method="monte_carlo"``
        samples. Ignored by ``kernel_method="exact"``.
    n_samples : int, default=64
        Number of sampled networks ``kernel_method="monte_carlo"`` averages;
        the estimate's error falls as ``1/sqrt(n_samples)``. Ignored by
        ``kernel_method="exact"``.
    batch_size : int or "auto", default="auto"
        Sequences a side of the tiles the kernel computation is cut into;
        memory grows as ``batch_size**2 * n_tokens**2``. "auto" chooses it for
        the device: a tile near 2**18 token pairs on a CPU, 2**28 on a GPU or
        TPU, within half the device's memory.
    n_jobs : int or None, default=None
        Processes computing kernel blocks through :class:`joblib.Parallel`.
        None computes in this process, unless a ``joblib.parallel_config``
        (for instance ``backend="dask"``) is active.
    device : str or None, default=None
        Pin the kernel computation to one device, by name: "cpu", "gpu", "gpu:1"
        (the second GPU), resolved when the kernel is computed so that the
        estimator can be cloned and pickled. None spreads it over all of
        ``jax.devices()``.
    precision : {"highest", "high", "default"}, default="highest"
        Precision of the kernels' matrix products. "default" is the platform's
        fastest: on recent NVIDIA GPUs TF32, 1.3x faster on an H200, with
        float32 kernels up to 2e-4 relative from float64 instead of 1e-5. No
        difference on a CPU.
    memory : str, joblib.Memory or None, default=None
        Cache the kernel matrices, keyed by the architecture, the dtype and a
        hash of the data, so that a grid search over ``alpha`` (or ``t``)
        computes each kernel once. A string is the cache directory.
    verbose : bool, default=False
        Show a progress bar over the kernel computation. False shows none,
        however long the computation.
    optimizer : "fmin_l_bfgs_b", callable or None, default=None
        How `fit` chooses the hyperparameters named in ``learn``. None keeps
        the parameters' values. "fmin_l_bfgs_b" maximises the log marginal
        likelihood of the training targets under the network's NNGP, with
        ``alpha`` as its noise variance (the NTK estimators too: their NTK has
        no likelihood of its own), by scipy's L-BFGS-B with the exact gradient.
        A callable ``optimizer(obj_func, initial_theta, bounds)`` returns
        ``(theta_opt, func_min)``, as for
        :class:`~sklearn.gaussian_process.GaussianProcessRegressor`. See the
        user guide, "Learning hyperparameters".
    n_restarts_optimizer : int, default=0
        Further optimizer runs from log-uniform random starts within the
        bounds, drawn by ``random_state``; the best run is kept.
    learn : tuple of str or dict, default=("qk_std", "w_std")
        The hyperparameters the optimizer learns, in log space: names among
        "qk_std", "ov_std", "w_std", "b_std", "pos_std", "pos_scale" and
        "alpha" (NNGP estimators only), or a dict ``{name: (low, high)}`` with
        their bounds (by default ``(0.01, 100)``, and ``(1e-8, 100)`` for
        ``alpha``). A name sets every layer field of that name, as the flat
        parameters do.

    Attributes
    ----------
    X_train_ : ndarray of shape (n_samples, n_tokens) or \
(n_samples, n_tokens, n_token_features)
        Training sequences, needed for the kernels at new inputs.
    train_pass_ : OwnPass or None
        The training sequences' own pass through the network (their attention
        matrices, token variances and kernel diagonal), kept so that
        predictions compute only the new sequences' pass and the cross pairs;
        None with ``kernel_method="monte_carlo"``, or when it would take
        more than 1 GiB (long sequences: ``2 L**2`` entries a sequence), in
        which case predictions walk the training set again.
    y_train_ : ndarray of shape (n_samples, n_targets)
        Targets as fitted (standardised when ``normalize_y=True``).
    posterior_ : NTKModel
        The trained network's posterior: ``posterior_.solver`` holds the
        Cholesky factor of the train NTK plus ``alpha`` on its diagonal for
        ``t=None``, its eigendecomposition for a finite ``t`` (float64), and
        ``posterior_.nngp_train`` the train NNGP, for the covariance.
    dual_coef_ : ndarray of shape (n_samples, n_targets)
        The gradient-flow filter ``h_t(A)`` (``A^-1`` for ``t=None``) applied to
        ``y_train_``: the mean is ``K_NTK(X, X_train_) @ dual_coef_``.
    kernel_ : skattn.kernels.Layer
        The network with the learned hyperparameters (the parameters' values
        without an optimizer).
    hyperparameters_ : dict
        The values of the hyperparameters named in ``learn``, in the order of
        ``theta`` in `log_marginal_likelihood` (the parameters' values without
        an optimizer).
    alpha_ : float
        The ``alpha`` used: learned if ``learn`` names it, else ``alpha``.
    log_marginal_likelihood_value_ : float
        The log marginal likelihood of ``y_train_`` under the fitted network's
        NNGP, with ``alpha_`` as noise variance.
    n_features_in_ : int
        Number of token positions of the training sequences.
    n_token_features_ : int
        Number of features per token.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a 2-D DataFrame ``X``, if it had string column names.

    See Also
    --------
    AttentionNNGPRegressor : The Bayesian posterior of the same network.

    Examples
    --------
    >>> import numpy as np
    >>> from skattn import AttentionNTKRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 4, 2))  # 30 sequences of 4 tokens of 2 features
    >>> y = X[:, :, 0].mean(axis=1)
    >>> for t in [1.0, 10.0, None]:
    ...     reg = AttentionNTKRegressor(n_blocks=1, t=t).fit(X[:20], y[:20])
    ...     print(t, round(reg.score(X[:20], y[:20]), 2), round(reg.score(X[20:], y[20:]), 2))
    1.0 0.57 0.38
    10.0 0.97 0.89
    None 1.0 0.93
    """

    _parameter_constraints: dict = {
        **_AttentionRegressor._parameter_constraints,
        **TIME_CONSTRAINT,
    }

    def __init__(
        self, *, n_blocks=2, attention="softmax", scaling="linear", qk_std=1.0,
        ov_std=1.0, positional="sum", pos_std=1.0, pos_decay=None, pos_scale=1.0,
        pos_p_norm=2, val_pos_emb=True, layer_norm="post", residual=True,
        mlp=True, activation="relu", w_std=1.0, b_std=0.0, filter_size=1, pool=1,
        alpha=1e-6,
        normalize_y=False, t=None, dtype="float64", random_state=None,
        architecture=None, kernel_method="exact", width=64, n_heads=1, n_samples=64,
        batch_size="auto", n_jobs=None, device=None, precision="highest",
        memory=None, verbose=False,
        optimizer=None, n_restarts_optimizer=0, learn=DEFAULT_LEARN,
    ):
        super().__init__(
            n_blocks=n_blocks, attention=attention, scaling=scaling, qk_std=qk_std,
            ov_std=ov_std, positional=positional, pos_std=pos_std, pos_decay=pos_decay,
            pos_scale=pos_scale, pos_p_norm=pos_p_norm, val_pos_emb=val_pos_emb,
            layer_norm=layer_norm, residual=residual, mlp=mlp, activation=activation,
            w_std=w_std, b_std=b_std, filter_size=filter_size, pool=pool, alpha=alpha,
            dtype=dtype, architecture=architecture,
            kernel_method=kernel_method, width=width, n_heads=n_heads, n_samples=n_samples,
            random_state=random_state, batch_size=batch_size, n_jobs=n_jobs, device=device,
            precision=precision,
            memory=memory, verbose=verbose,
            optimizer=optimizer, n_restarts_optimizer=n_restarts_optimizer, learn=learn,
        )
        self.normalize_y = normalize_y
        self.t = t
