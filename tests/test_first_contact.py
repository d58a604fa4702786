"""What a new user meets first: ragged input, series stored channels first, the API reference."""

import ast
import inspect

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skattn import (AttentionNNGPClassifier, AttentionNNGPRegressor, AttentionNTKClassifier,
                    AttentionNTKRegressor, SequencePadder, SequenceScaler)

ESTIMATORS = [AttentionNNGPRegressor, AttentionNTKRegressor, AttentionNNGPClassifier,
              AttentionNTKClassifier]
#: Parameters documented differently where the models differ; all others read the same.
MODEL_SPECIFIC = {"alpha", "t", "random_state"}


def ragged(rng, n):
    return [rng.normal(size=(rng.integers(2, 6), 2)) for _ in range(n)]


# ------------------------------------------------------------------ ragged input


@pytest.mark.parametrize("cls", [AttentionNNGPRegressor, AttentionNTKClassifier])
def test_a_ragged_list_is_an_error_that_names_the_padder(cls):
    rng = np.random.default_rng(0)
    X = ragged(rng, 6)
    y = np.arange(6) % 2
    message = r"X is a list of sequences of different lengths \(sample 0 has shape .*SequencePadder"
    with pytest.raises(ValueError, match=message):
        cls(n_blocks=1).fit(X, y)
    model = cls(n_blocks=1).fit(SequencePadder(max_len=5).fit_transform(X), y)
    with pytest.raises(ValueError, match=message):
        model.predict(X)
    with pytest.raises(ValueError, match="X1 is a list .*SequencePadder"):
        model.compute_kernel(X)
    with pytest.raises(ValueError, match="sample 1 has tokens with different numbers"):
        model.predict([[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0]]])


def test_the_pipeline_the_error_names_takes_ragged_lists_in_grid_search():
    """GridSearchCV indexes a list as a list, so the padder sees each fold's sequences."""
    rng = np.random.default_rng(1)
    X = ragged(rng, 24)
    y = np.array([seq[:, 0].mean() > 0 for seq in X]).astype(int)
    pipe = make_pipeline(SequencePadder(), SequenceScaler(), AttentionNNGPClassifier(n_blocks=1))
    search = GridSearchCV(pipe, {"attentionnngpclassifier__alpha": [1e-6, 1e-2]}, cv=2)
    search.fit(X, y)
    assert search.predict(X[:3]).shape == (3,)


# ------------------------------------------------- series stored channels first


def channels_first(rng, lengths, channels=2):
    """Series as aeon stores them: a list of ``(n_channels, n_timepoints)`` arrays."""
    return [rng.normal(size=(channels, length)) for length in lengths]


def test_channels_first_series_are_read_as_time_steps_of_channels():
    rng = np.random.default_rng(2)
    series = channels_first(rng, [5, 3, 4])
    padded = SequencePadder(channels_first=True).fit_transform(series)
    assert padded.shape == (3, 5, 2)
    for x, row in zip(series, padded):
        np.testing.assert_array_equal(row[: x.shape[1]], x.T)
        assert np.isnan(row[x.shape[1]:]).all()
    # A 3-D array (n_cases, n_channels, n_timepoints), as aeon's equal-length sets
    cube = rng.normal(size=(4, 3, 6))
    np.testing.assert_array_equal(SequencePadder(channels_first=True).fit_transform(cube),
                                  cube.transpose(0, 2, 1))
    # one channel: a 2-D array or 1-D sequences are already one-feature tokens
    flat = rng.normal(size=(4, 6))
    for X in (flat, list(flat)):
        np.testing.assert_array_equal(SequencePadder(channels_first=True).fit_transform(X),
                                      flat[:, :, None])
    # transform reads the same way as fit: a model trained on it predicts series
    y = np.array([x[0].mean() > 0 for x in series]).astype(int)
    model = make_pipeline(SequencePadder(channels_first=True),
                          AttentionNNGPClassifier(n_blocks=1)).fit(series, y)
    assert model.predict(channels_first(rng, [7, 2])).shape == (2,)


def test_channels_first_series_read_as_tokens_get_an_error_that_says_how():
    rng = np.random.default_rng(3)
    series = channels_first(rng, [5, 3, 4], channels=1)
    y = np.arange(3) % 2
    hint = r"\(n_channels, n_timepoints\).*SequencePadder\(channels_first=True\)"
    with pytest.raises(ValueError, match="Sample 1 has tokens with 3 features.*" + hint):
        SequencePadder().fit(series)
    with pytest.raises(ValueError, match="different lengths.*" + hint):
        AttentionNTKClassifier(n_blocks=1).fit(series, y)
    # sequences of tokens of different lengths get no such hint
    with pytest.raises(ValueError, match="different lengths") as info:
        AttentionNTKClassifier(n_blocks=1).fit(ragged(rng, 3), y)
    assert "channels_first" not in str(info.value)
    # an equal-length cube (n, 1, n_timepoints) reads as one token each: a warning says so,
    # attributed to the line that called fit (a classifier's fit runs a frame deeper)
    cube = rng.normal(size=(6, 1, 8))
    for model in (AttentionNNGPRegressor(n_blocks=1), AttentionNTKClassifier(n_blocks=1)):
        with pytest.warns(UserWarning, match=r"one token per sequence \(shape \(6, 1, 8\)\)"
                                             r".*transpose\(0, 2, 1\)") as record:
            model.fit(cube, np.arange(6) % 2)
        assert [w.filename for w in record] == [__file__]


# --------------------------------------------------------------- API reference


def _documented_parameters(cls):
    """The Parameters section of ``cls``'s numpydoc docstring: ``name -> (type, text)``.

    Parsed here rather than by numpydoc or griffe, which are not test dependencies
    (and griffe takes the first of ``{"a", "b"}`` for the default, whatever follows).
    """
    lines = inspect.getdoc(cls).splitlines()
    start = lines.index("Parameters") + 2
    end = next(i for i in range(start, len(lines) - 1)
               if lines[i + 1].startswith("---") and not lines[i].startswith(" "))
    entries = {}
    for line in lines[start:end]:
        if line and not line.startswith(" "):
            name, _, kind = line.partition(" : ")
            assert name.isidentifier(), f"{cls.__name__}: {line!r} is not one parameter"
            entries[name] = [kind, ""]
        elif line.strip():
            entries[name][1] += " " + line.strip()
    return entries


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_every_parameter_has_its_own_entry_with_type_and_default(cls):
    documented = _documented_parameters(cls)
    signature = inspect.signature(cls).parameters
    assert list(documented) == list(signature)  # in the signature's order
    assert set(signature) == set(cls().get_params())
    for name, (kind, text) in documented.items():
        kind, _, default = kind.rpartition(", default=")
        assert kind, f"{cls.__name__}: {name} needs a type and a default"
        assert ast.literal_eval(default) == signature[name].default, \
            f"{cls.__name__}: {name}'s documented default is {default}"
        assert len(text.split()) >= 5, f"{cls.__name__}: {name} says too little"


def test_shared_parameters_read_the_same_in_every_estimator():
    """The entries are written out in each class (no generated docstrings); they must agree."""
    seen = {}
    for cls in ESTIMATORS:
        for name, entry in _documented_parameters(cls).items():
            if name not in MODEL_SPECIFIC:
                first = seen.setdefault(name, (cls.__name__, entry))
                assert entry == first[1], f"{name}: {cls.__name__} and {first[0]} differ"
