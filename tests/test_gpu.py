"""On a GPU: float32 kernels at the default "highest" precision agree with float64.

Skipped without a GPU (JAX's CPU multiplies float32 in full precision anyway).
At JAX's default precision (TF32) an H200 was off by up to 2.2e-4 (issue #14).
"""

import jax
import numpy as np
import pytest

from synthetic import padded_sequences
from skattn.kernels import transformer

pytestmark = pytest.mark.skipif(jax.default_backend() == "cpu", reason="needs a GPU or TPU")


@pytest.mark.parametrize("layer", [
    transformer(n_blocks=2, positional="sum"),
    transformer(n_blocks=4, layer_norm="pre", attention="relu"),
], ids=["benchmark", "deep-pre-ln-relu"])
def test_float32_agrees_with_float64_to_1e_5(layer):
    X = padded_sequences(np.random.default_rng(0), 64, 32, 16)
    want = layer(X.astype(np.float64), get=("nngp", "ntk"))
    got = layer(X.astype(np.float32), get=("nngp", "ntk"))
    for kind in ("nngp", "ntk"):
        error = np.abs(got[kind] - want[kind]).max() / np.abs(want[kind]).max()
        assert error <= 1e-5, (kind, error)
