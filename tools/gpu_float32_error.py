"""float32 against float64 kernels on each device (issue #14): relative max error."""
import sys
import numpy as np
import jax
sys.path.insert(0, "tests")
from synthetic import padded_sequences
from skattn.kernels import transformer

X = padded_sequences(np.random.default_rng(0), 64, 32, 16)
for name, layer in [("benchmark", transformer(n_blocks=2, positional="sum")),
                    ("deep", transformer(n_blocks=4, layer_norm="pre", attention="relu"))]:
    want = layer(X.astype(np.float64), get=("nngp", "ntk"), device="cpu")
    for device in ["cpu", "gpu"] if jax.default_backend() != "cpu" else ["cpu"]:
        for precision in ["highest"]:
            got = layer(X.astype(np.float32), get=("nngp", "ntk"), device=device, precision=precision)
            err = {k: float(np.abs(got[k] - want[k]).max() / np.abs(want[k]).max()) for k in got}
            print(name, device, precision, err, flush=True)
