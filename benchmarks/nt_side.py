"""The neural-tangents side of kernel_throughput.py (run by the pinned NT Python).

Usage (done for you by kernel_throughput.py --nt-python PATH):
    PATH benchmarks/nt_side.py IN.npz OUT.npz
IN.npz holds ``x`` (NaN-padded inputs), ``params`` (JSON) and ``repeats``.
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


def main(src, dst):
    data = np.load(src)
    x = data["x"]
    jax.config.update("jax_enable_x64", x.dtype == np.float64)
    _, _, kernel_fn = build(json.loads(str(data["params"])))
    kernel_fn = jax.jit(kernel_fn, static_argnames=("get",))

    def run():
        k = kernel_fn(x, None, ("nngp", "ntk"), mask_constant=np.nan)
        return jax.block_until_ready(k)

    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    times = []
    for _ in range(int(data["repeats"])):
        start = time.perf_counter()
        k = run()
        times.append(time.perf_counter() - start)
    np.savez(dst, nngp=np.asarray(k.nngp), ntk=np.asarray(k.ntk), seconds=min(times),
             first=first, peak_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


if __name__ == "__main__":
    main(*sys.argv[1:3])
