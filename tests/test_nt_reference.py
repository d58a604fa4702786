"""The kernel engine against neural-tangents 0.6.5 (fixtures from tools/make_nt_reference.py)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthetic import user_environ
from skattn.kernels import transformer

FIXTURES = np.load(Path(__file__).parent / "data" / "nt_reference.npz")
CASES = [str(c) for c in FIXTURES["cases"]]


def test_fixtures_cover_every_option():
    seen = {}
    for case in CASES:
        for name, value in json.loads(str(FIXTURES[f"{case}/params"])).items():
            seen.setdefault(name, set()).add(json.dumps(value))
    expected = {
        "attention": {'"identity"', '"relu"', '"abs"'},
        "positional": {'"sum"', '"concat"'},
        "pos_decay": {'"exp"', '"inverse"'},
        "layer_norm": {'"pre"', '"none"'},
        "activation": {'"erf"', '"gelu"', '"identity"'},
        "scaling": {'"sqrt"'},
        "residual": {"false"},
        "mlp": {"false"},
        "val_pos_emb": {"true"},
    }
    for name, values in expected.items():
        assert values <= seen[name], name
    assert {"0", "1", "3"} <= seen["n_blocks"]
    assert {"3"} <= seen["filter_size"] and {"2", "3"} <= seen["pool"]
    assert any(f"{c}/x2" not in FIXTURES for c in CASES)  # X2=None cases


@pytest.mark.parametrize("case", CASES)
def test_float64_kernels_match_neural_tangents(case):
    params = json.loads(str(FIXTURES[f"{case}/params"]))
    x1 = FIXTURES[f"{case}/x1"]
    x2 = FIXTURES[f"{case}/x2"] if f"{case}/x2" in FIXTURES else None
    got = transformer(**params)(x1, x2, get=("nngp", "ntk"))
    for kind in ("nngp", "ntk"):
        want = FIXTURES[f"{case}/{kind}"]
        error = np.abs(got[kind] - want).max() / np.abs(want).max()
        assert error <= 1e-6, f"{kind}: relative error {error:.2e}"


@pytest.mark.parametrize("case", ["default", "pos_sum_exp", "act_gelu", "attn_identity_sqrt"])
def test_float32_kernels_match_neural_tangents(case):
    params = json.loads(str(FIXTURES[f"{case}/params"]))
    x1 = FIXTURES[f"{case}/x1"].astype(np.float32)
    x2 = FIXTURES[f"{case}/x2"].astype(np.float32)
    got = transformer(**params)(x1, x2, get=("nngp", "ntk"))
    for kind in ("nngp", "ntk"):
        want = FIXTURES[f"{case}/{kind}"]
        assert got[kind].dtype == np.float32
        assert np.abs(got[kind] - want).max() / np.abs(want).max() <= 1e-4


def test_kernels_match_neural_tangents_with_xlas_default_options():
    """The suite compiles with cheaper XLA options (conftest.py); users' programs
    compile with XLA's defaults.  Two of the cases above, float64 and float32, run
    again in a test session of their own that has the user's ``XLA_FLAGS``."""
    here = Path(__file__)
    cases = [f"{here}::test_float64_kernels_match_neural_tangents[pool2_conv3_pos]",
             f"{here}::test_float32_kernels_match_neural_tangents[pos_sum_exp]"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         *cases], cwd=here.parent.parent, env=user_environ(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout, result.stdout[-3000:]
