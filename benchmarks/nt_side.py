"""The neural-tangents side of kernel_throughput.py (run by the pinned NT Python).

Usage (done for you by kernel_throughput.py --nt-python PATH):
    PATH benchmarks/nt_side.py IN.npz OUT.npz
IN.npz holds ``x`` (NaN-padded inputs), ``params`` (JSON), ``repeats`` and
``batch_sizes``.  neural-tangents gets its best configuration: the jitted
``kernel_fn`` on the whole batch, and ``nt.batch`` over all devices with each
batch size that divides n, and the fastest is reported.
"""

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from make_nt_reference import build  # noqa: E402  (enables x64 on import)

import jax  # noqa: E402
import neural_tangents as nt  # noqa: E402


def _time(fn, x, repeats):
    start = time.perf_counter()
    jax.block_until_ready(fn(x))
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        k = jax.block_until_ready(fn(x))
        best = min(best, time.perf_counter() - start)
    return k, best, first


def main(src, dst):
    data = np.load(src)
    x = data["x"]
    jax.config.update("jax_enable_x64", x.dtype == np.float64)
    _, _, kernel_fn = build(json.loads(str(data["params"])))
    get = ("nngp", "ntk")
    configs = {"jit": jax.jit(lambda x: kernel_fn(x, None, get, mask_constant=np.nan))}
    n = len(x)
    for devices in sorted({1, jax.device_count()}):
        for size in data["batch_sizes"]:
            if n % (size * devices) == 0:
                batched = nt.batch(kernel_fn, batch_size=int(size), device_count=devices)
                configs[f"nt.batch({size}, {devices} devices)"] = (
                    lambda x, b=batched: b(x, None, get, mask_constant=np.nan))
    results = {}
    for name, fn in configs.items():
        k, best, first = _time(fn, x, int(data["repeats"]))
        results[name] = (best, first)
        print(f"  neural-tangents {name}: {best:.3f} s (first call {first:.2f} s)", flush=True)
    name = min(results, key=lambda c: results[c][0])
    np.savez(dst, nngp=np.asarray(k.nngp), ntk=np.asarray(k.ntk), seconds=results[name][0],
             first=results[name][1], config=name,
             peak_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


if __name__ == "__main__":
    main(*sys.argv[1:3])
