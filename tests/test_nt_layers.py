"""Convolution, pooling and the paper's IMDb network against neural-tangents 0.6.5
(fixtures from tools/make_nt_reference.py: ``LAYER_CASES``)."""

import json
from pathlib import Path

import numpy as np
import pytest

from skattn.kernels import (AvgPool1D, Conv1D, Dense, Erf, Gelu, GlobalAvgPool, LayerNorm,
                            Relu, SelfAttention, paper_imdb, residual, serial)

FIXTURES = np.load(Path(__file__).parent / "data" / "nt_layers_reference.npz")
CASES = [str(c) for c in FIXTURES["cases"]]
LAYERS = {"dense": Dense, "conv": Conv1D, "avgpool": AvgPool1D, "attention": SelfAttention,
          "layernorm": LayerNorm, "gap": GlobalAvgPool, "relu": Relu, "erf": Erf,
          "gelu": Gelu, "residual": lambda layers: residual(*build(layers))}


def build(spec):
    """The skattn layers of a fixture's spec."""
    if spec == "paper_imdb":
        return (paper_imdb(),)
    return tuple(LAYERS[name](**kwargs) for name, kwargs in spec)


def test_fixtures_cover_every_option():
    seen = {}
    for case in CASES:
        spec = json.loads(str(FIXTURES[f"{case}/spec"]))
        for name, kwargs in ([] if spec == "paper_imdb" else spec):
            if name in ("conv", "avgpool"):
                kwargs = {"padding": "valid", **kwargs}
            for key, value in kwargs.items():
                seen.setdefault((name, key), set()).add(json.dumps(value))
    for name in ("conv", "avgpool"):
        assert {'"valid"', '"same"', '"circular"'} <= seen[name, "padding"], name
    assert {"2", "3"} <= seen["conv", "stride"] and {"1", "2"} <= seen["avgpool", "stride"]
    assert {("conv", "w_std"), ("conv", "b_std"), ("conv", "filter_size")} <= set(seen)
    assert "paper_imdb" in CASES and "paper_imdb_x2none" in CASES
    assert any(f"{c}/x2" not in FIXTURES for c in CASES)  # X2=None cases


@pytest.mark.parametrize("case", CASES)
def test_float64_kernels_match_neural_tangents(case):
    layer = serial(*build(json.loads(str(FIXTURES[f"{case}/spec"]))))
    x1 = FIXTURES[f"{case}/x1"]
    x2 = FIXTURES[f"{case}/x2"] if f"{case}/x2" in FIXTURES else None
    got = layer(x1, x2, get=("nngp", "ntk"))
    for kind in ("nngp", "ntk"):
        want = FIXTURES[f"{case}/{kind}"]
        error = np.abs(got[kind] - want).max() / np.abs(want).max()
        assert error <= 1e-6, f"{kind}: relative error {error:.2e}"
