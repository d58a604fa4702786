"""Bad inputs and bad configurations get clear errors."""

import numpy as np
import pytest

from skattn.kernels import Dense, SelfAttention, serial, transformer


@pytest.fixture(scope="module")
def kernel():
    return transformer(n_blocks=1)


def test_partial_nan_token_names_sample_and_position(kernel):
    X = np.ones((3, 4, 2))
    X[2, 1, 0] = np.nan
    with pytest.raises(ValueError, match="X1: sample 2, position 1 has NaN in some"):
        kernel(X)


def test_inf_names_sample_and_position(kernel):
    X = np.ones((3, 4, 2))
    Y = np.ones((2, 4, 2))
    Y[1, 3, 1] = -np.inf
    with pytest.raises(ValueError, match="X2: sample 1, position 3 contains inf"):
        kernel(X, Y)


def test_sequence_without_tokens_names_sample(kernel):
    X = np.ones((3, 4, 2))
    X[1] = np.nan
    with pytest.raises(ValueError, match="X1: sample 1 has no tokens"):
        kernel(X)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4, 5)])
def test_wrong_number_of_dimensions(kernel, shape):
    with pytest.raises(ValueError, match="must have shape"):
        kernel(np.ones(shape))


def test_feature_count_mismatch(kernel):
    with pytest.raises(ValueError, match="X1 has 2 features per token but X2 has 3"):
        kernel(np.ones((2, 3, 2)), np.ones((2, 3, 3)))


def test_non_numeric_input(kernel):
    with pytest.raises(ValueError, match="must hold numbers"):
        kernel(np.array([["a", "b"]]))


@pytest.mark.parametrize("get", ["cov", ("nngp", "x"), ()])
def test_bad_get(kernel, get):
    with pytest.raises(ValueError, match="get must be"):
        kernel(np.ones((2, 3, 2)), get=get)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "big"])
def test_bad_batch_size(kernel, batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        kernel(np.ones((2, 3, 2)), batch_size=batch_size)


@pytest.mark.parametrize("attention", ["softmax", "relu", "abs"])
def test_sqrt_scaling_without_closed_form_points_to_monte_carlo(attention):
    k = transformer(attention=attention, scaling="sqrt")  # built: Monte Carlo takes it
    with pytest.raises(ValueError, match="no closed-form kernel.*monte_carlo_kernel"
                                         ".*kernel_method='monte_carlo'"):
        k(np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match="no closed-form kernel"):
        k.diag(np.ones((2, 3, 2)))


@pytest.mark.parametrize("params, match", [
    (dict(attention="tanh"), "attention must be one of"),
    (dict(positional="rotary"), "positional must be one of"),
    (dict(pos_decay="gauss"), "pos_decay must be one of"),
    (dict(pos_scale=0.0), "pos_scale must be positive"),
    (dict(qk_std=-1.0), "qk_std must be a non-negative number"),
    (dict(layer_norm="mid"), "layer_norm must be"),
    (dict(activation="tanh"), "activation must be one of"),
    (dict(n_blocks=-1), "n_blocks must be a non-negative integer"),
    (dict(residual="yes"), "residual must be True or False"),
])
def test_bad_configuration(params, match):
    with pytest.raises(ValueError, match=match):
        transformer(**params)


def test_serial_rejects_non_layers():
    with pytest.raises(TypeError, match="serial\\(\\) takes skattn.kernels layers"):
        serial(Dense(), "relu")


def test_attention_after_pooling_is_rejected():
    from skattn.kernels import GlobalAvgPool
    with pytest.raises(ValueError, match="before GlobalAvgPool"):
        serial(Dense(), GlobalAvgPool(), SelfAttention(), Dense())(np.ones((2, 3, 1)))
