"""Classification with infinitely wide attention networks: NNGP and NTK.

Both classifiers regress centred one-hot targets (``1 - 1/C`` for the class,
``-1/C`` elsewhere) with the matching regression model; a class's score is the
posterior mean of its output, and its probability comes from the posterior with
a scale fitted by leave-one-out (:mod:`skattn._calibration`).
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from . import _calibration, _inference
from ._base import TIME_CONSTRAINT, GradientDescentMixin, _AttentionBase
from ._hyperparameters import DEFAULT_LEARN


class _AttentionClassifier(ClassifierMixin, _AttentionBase):
    """Targets, scores and probabilities shared by the two classifiers."""

    def _encode_targets(self, y):
        """Labels as centred one-hot rows ``e_y - 1/C``, and ``classes_`` (to assign)."""
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got one "
                f"class only: {classes[0]}."
            )
        targets = np.full((len(codes), len(classes)), -1 / len(classes))
        targets[np.arange(len(codes)), codes] += 1
        return targets, dict(classes_=classes)

    def _fit(self, X, y):
        fitted = super()._fit(X, y)
        targets, model = fitted["y_train_"], fitted["posterior_"]
        mean, var = _calibration.model_leave_one_out(model, fitted["alpha_"], self._time(),
                                                     targets)
        return dict(fitted, proba_scale_=_calibration.fit_scale(mean, var,
                                                                targets.argmax(axis=1)))

    def decision_function(self, X):
        """Posterior mean of each class's output.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens, n_token_features) or \
(n_samples, n_tokens)
            Sequences padded with all-NaN tokens.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,) for two classes
            With two classes, the score of ``classes_[1]`` (positive means that
            class); the score of ``classes_[0]`` is its negative.

        Examples
        --------
        >>> import numpy as np
        >>> from skattn import AttentionNNGPClassifier
        >>> X = np.random.default_rng(0).normal(size=(6, 3))
        >>> clf = AttentionNNGPClassifier(n_blocks=1).fit(X, ["a", "b", "c"] * 2)
        >>> clf.decision_function(X[:2]).round(2)
        array([[ 0.67, -0.33, -0.33],
               [-0.33,  0.67, -0.33]])
        """
        mean, _ = self._posterior(X)
        return mean[:, 1] if len(self.classes_) == 2 else mean

    def predict(self, X):
        """The class with the largest posterior mean.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens, n_token_features) or \
(n_samples, n_tokens)
            Sequences padded with all-NaN tokens.

        Returns
        -------
        labels : ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from skattn import AttentionNTKClassifier
        >>> X = np.random.default_rng(0).normal(size=(6, 3))
        >>> clf = AttentionNTKClassifier(n_blocks=1).fit(X, [0, 1, 1, 0, 1, 0])
        >>> clf.predict(X[:3])
        array([0, 1, 1])
        """
        mean, _ = self._posterior(X)
        return self.classes_[np.argmax(mean, axis=1)]

    def predict_proba(self, X):
        """Calibrated probability of each class.

        Each class's output at a sequence is taken as Gaussian, with the
        posterior mean ``m_c`` (`decision_function`) and the variance ``v`` that
        the model's own kernel leaves there (``K_xx - K_xD h(A) K_Dx``: the
        NNGP posterior variance, or its analogue with the NTK and the
        gradient-flow filter), scaled by ``proba_scale_**2``; the probability of
        class ``c`` is that of its output being the largest::

            P(c) = E_z[ prod_{k != c} Phi((m_c - m_k) / s + z) ],  s = proba_scale_ sqrt(v)

        a Gauss-Hermite quadrature over ``z ~ N(0, 1)``. ``proba_scale_`` was
        chosen in `fit` to minimise the log-loss of the leave-one-out
        predictions on the training set (closed form, Rasmussen & Williams
        2006, eq. 5.12). The rows sum to 1, the argmax is `predict`, and a
        sequence far from the training data (large ``v``) gets flatter
        probabilities. So across sequences these probabilities may rank
        differently from `decision_function`, which has no variance in it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens, n_token_features) or \
(n_samples, n_tokens)
            Sequences padded with all-NaN tokens.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from skattn import AttentionNTKClassifier
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(6, 3))
        >>> clf = AttentionNTKClassifier(n_blocks=1).fit(X, [0, 1, 1, 0, 1, 0])
        >>> proba = clf.predict_proba(rng.normal(size=(2, 3)))
        >>> proba.shape, np.allclose(proba.sum(axis=1), 1)
        ((2, 2), True)
        """
        check_is_fitted(self)
        X, _, _ = self._validate_X(X)
        model = self.posterior_
        layer = self._fitted_layer()
        test_pass, test_train = self._test_kernels(X, (model.kind,), layer)
        test_train = test_train[model.kind]
        test = self._own_diagonal(X, test_pass, model.kind, layer)
        mean = test_train @ model.dual_coef
        # K_TT - K_TD h(A) K_DT, of the model's own kernel (R&W Alg. 2.1, l. 5-6)
        var = _inference.nngp_covariance(test, test_train, model.solver)
        var = _inference.clipped_variance(var, test, self.dtype)
        return _inference.max_probabilities(mean, self.proba_scale_ * np.sqrt(var))


class AttentionNNGPClassifier(_AttentionClassifier):
    """Classifier from GP regression with the NNGP of an infinitely wide transformer.

    The Bayesian infinitely wide network (Hron et al., "Infinite attention",
    ICML 2020) regressed on centred one-hot targets (``1 - 1/C`` for the
    class, ``-1/C`` elsewhere): `decision_function` is the posterior mean,
    `predict` its argmax, `predict_proba` the probability that each class has
    the largest output under the posterior, its spread scaled by
    ``proba_scale_`` (fitted by leave-one-out cross-validation, so that the
    probabilities are calibrated). Any labels scikit-learn accepts, two or
    more classes.

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
    dtype : {"float64", "float32"}, default="float64"
        Precision of the kernel computation. The linear algebra on the kernels
        is done in float64 either way.
    random_state : int, RandomState instance or None, default=None
        Seeds the networks of ``kernel_method="monte_carlo"`` (an int gives the
        same kernels on every fit), and draws the optimizer's restarts.
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
    classes_ : ndarray of shape (n_classes,)
        The class labels.
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
    y_train_ : ndarray of shape (n_samples, n_classes)
        The centred one-hot targets.
    posterior_ : NNGPModel
        The exact posterior: ``posterior_.solver`` holds the Cholesky factor of
        the train NNGP plus ``alpha`` on its diagonal (computed in place, in
        float64).
    dual_coef_ : ndarray of shape (n_samples, n_classes)
        The train kernel's inverse applied to ``y_train_``.
    proba_scale_ : float
        The factor on the posterior standard deviation in `predict_proba`,
        chosen to minimise the leave-one-out log-loss on the training set.
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
    AttentionNTKClassifier : The same network trained by gradient descent.
    AttentionNNGPRegressor : The underlying regression model.

    Examples
    --------
    >>> import numpy as np
    >>> from skattn import AttentionNNGPClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 4, 2))  # 30 sequences of 4 tokens of 2 features
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> # the labels ignore token order: a bag-of-tokens kernel suits them
    >>> clf = AttentionNNGPClassifier(n_blocks=1, positional="none").fit(X[:20], y[:20])
    >>> clf.classes_, clf.score(X[20:], y[20:])
    (array(['down', 'up'], dtype='<U4'), 0.9)
    """


class AttentionNTKClassifier(GradientDescentMixin, _AttentionClassifier):
    """Classifier from an infinitely wide transformer trained by gradient descent.

    The network trained on the squared error to centred one-hot targets
    (``1 - 1/C`` for the class, ``-1/C`` elsewhere) in the infinite-width
    limit, where its outputs over random initialisations are Gaussian with the
    mean and covariance of neural-tangents'
    ``predict.gradient_descent_mse_ensemble`` (learning rate 1):
    `decision_function` is the mean, `predict` its argmax. `predict_proba` is
    the probability that each class has the largest output, taken as Gaussian
    with that mean and the variance of kernel regression with the NTK, scaled
    by ``proba_scale_`` (fitted by leave-one-out cross-validation, so that the
    probabilities are calibrated; the spread over initialisations is too
    small for that). Any labels scikit-learn accepts, two or more classes.

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
    t : float or None, default=None
        Training time of gradient flow with learning rate 1 on the loss
        ``||f(X) - Y||^2 / (2 Y.size)``, ``Y`` the ``(n_samples, n_classes)``
        targets (neural-tangents' normalisation). None trains to convergence.
    dtype : {"float64", "float32"}, default="float64"
        Precision of the kernel computation. The linear algebra on the kernels
        is done in float64 either way.
    random_state : int, RandomState instance or None, default=None
        Seeds the networks of ``kernel_method="monte_carlo"`` (an int gives the
        same kernels on every fit), and draws the optimizer's restarts.
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
    classes_ : ndarray of shape (n_classes,)
        The class labels.
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
    y_train_ : ndarray of shape (n_samples, n_classes)
        The centred one-hot targets.
    posterior_ : NTKModel
        The trained network's posterior: ``posterior_.solver`` holds the
        Cholesky factor of the train NTK plus ``alpha`` on its diagonal for
        ``t=None``, its eigendecomposition for a finite ``t`` (float64), and
        ``posterior_.nngp_train`` the train NNGP, for the covariance.
    dual_coef_ : ndarray of shape (n_samples, n_classes)
        The gradient-flow filter ``h_t(A)`` (``A^-1`` for ``t=None``) applied to
        ``y_train_``.
    proba_scale_ : float
        The factor on the standard deviation in `predict_proba`, chosen to
        minimise the leave-one-out log-loss on the training set.
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
    AttentionNNGPClassifier : The Bayesian posterior of the same network.
    AttentionNTKRegressor : The underlying regression model.

    Examples
    --------
    >>> import numpy as np
    >>> from skattn import AttentionNTKClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 4, 2))  # 30 sequences of 4 tokens of 2 features
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> clf = AttentionNTKClassifier(n_blocks=1).fit(X[:20], y[:20])
    >>> clf.predict(X[20:24]), clf.score(X[20:], y[20:])
    (array(['up', 'up', 'down', 'down'], dtype='<U4'), 1.0)
    """

    _parameter_constraints: dict = {
        **_AttentionBase._parameter_constraints,
        **TIME_CONSTRAINT,
    }

    def __init__(
        self, *, n_blocks=2, attention="softmax", scaling="linear", qk_std=1.0,
        ov_std=1.0, positional="sum", pos_std=1.0, pos_decay=None, pos_scale=1.0,
        pos_p_norm=2, val_pos_emb=True, layer_norm="post", residual=True,
        mlp=True, activation="relu", w_std=1.0, b_std=0.0, filter_size=1, pool=1,
        alpha=1e-6, t=None,
        dtype="float64", random_state=None, architecture=None, kernel_method="exact",
        width=64, n_heads=1, n_samples=64, batch_size="auto", n_jobs=None, device=None,
        precision="highest", memory=None, verbose=False,
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
            precision=precision, memory=memory, verbose=verbose,
            optimizer=optimizer, n_restarts_optimizer=n_restarts_optimizer, learn=learn,
        )
        self.t = t
