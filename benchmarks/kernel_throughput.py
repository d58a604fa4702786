"""Throughput of the train-train NNGP+NTK kernel, optionally against neural-tangents.

The benchmark workload (issue #4): n=400 sequences of L=32 tokens with d=16
features, ``transformer(n_blocks=2, positional="sum")``, float32 (``--val-pos-emb``:
the estimators' network, whose values see the positions too)::

    .venv/bin/python benchmarks/kernel_throughput.py
    .venv/bin/python benchmarks/kernel_throughput.py --nt-python .nt-ref/bin/python
    .venv/bin/python benchmarks/kernel_throughput.py --dtype float64

``--nt-python`` is a Python of the pinned neural-tangents 0.6.5 environment
(../shared/nt-reference/README.md); neural-tangents then runs on the same inputs
in a subprocess, warm, in its fastest configuration (jitted whole batch, or
``nt.batch`` over all devices), and the ratio of the two times and the largest
relative difference are printed.

XLA runs one computation per device at a time, so on a CPU a single device
uses one core.  Two ways to use several:

* ``--cpu-devices N`` splits the CPU into N JAX devices (``jax_num_cpu_devices``;
  for neural-tangents' older JAX, ``--xla_force_host_platform_device_count``)
  for both libraries; skattn spreads its chunks over them and neural-tangents
  is also tried with ``nt.batch`` over all of them.  The default, 1, is JAX's.
* ``--n-jobs N`` gives skattn N worker processes (``joblib``), each with its own
  XLA; the first call then also starts the workers.

Figures: pairs per second count every entry of the n x n kernel (n**2 / s),
for both libraries; seconds are the fastest of ``--repeats`` warm calls.  The
FLOP count is that of the standard algorithm on the unique pairs: the
attention contractions, n (n + 1) / 2 * n_blocks * 8 L**3 (NNGP and NTK, two
L x L x L products each), plus the input inner products n (n + 1) / 2 * 2 L**2 d;
the elementwise work is not counted.  skattn does less than that (its first
attention layer multiplies token features instead, docs/theory.md), so its
GFLOP/s is nominal: the standard count over skattn's time.  Peak memory is the
process's peak resident set size (it includes JAX itself, ~0.3 GB), and on a
GPU or TPU also the device's peak bytes in use.

``--sweep`` runs one configuration per batch size and token count (each in a
process of its own, so that each peak memory is its own) and prints a table::

    .venv/bin/python benchmarks/kernel_throughput.py --sweep --n 4000 \
        --lengths 32,128 --batch-sizes auto,64,128,256,512,1024
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def workload(n, length, features, dtype, seed=0):
    """Random sequences with 0-25% of trailing tokens padded."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, length, features))
    for i, cut in enumerate(rng.integers(0, length // 4 + 1, size=n)):
        if cut:
            X[i, length - cut:] = np.nan
    return X.astype(dtype)


def flops(n, length, features, n_blocks):
    pairs = n * (n + 1) / 2
    return pairs * (n_blocks * 8 * length**3 + 2 * length**2 * features)


def run_skattn(X, params, repeats, batch_size, n_jobs, precision="highest"):
    from skattn.kernels import transformer

    k = transformer(**params)
    options = dict(get=("nngp", "ntk"), batch_size=batch_size, n_jobs=n_jobs,
                   precision=precision)
    start = time.perf_counter()
    out = k(X, **options)
    first = time.perf_counter() - start
    times = [first]  # with --repeats 0 the first call is the figure
    for _ in range(repeats):
        start = time.perf_counter()
        out = k(X, **options)
        times.append(time.perf_counter() - start)
    return out, min(times[1:] or times), first


def run_nt(nt_python, X, params, repeats, cpu_devices):
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(src, x=X, params=json.dumps(params), repeats=repeats,
                 batch_sizes=[25, 50, 100])
        flags = f"--xla_force_host_platform_device_count={cpu_devices}"
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
                   XLA_FLAGS=(os.environ.get("XLA_FLAGS", "") + " " + flags).strip())
        subprocess.run([nt_python, "-W", "ignore", str(Path(__file__).with_name("nt_side.py")),
                        src, dst], check=True, env=env)
        with np.load(dst) as res:
            return {k: res[k] for k in res.files}


def peak_memory():
    """``(host, device)`` peak bytes of this process; device is None on a CPU."""
    import jax

    host = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stats = jax.devices()[0].memory_stats() or {}
    return host, stats.get("peak_bytes_in_use")


def device_name():
    import jax

    device = jax.devices()[0]
    if device.platform == "cpu":
        return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"
    return f"{device.device_kind} ({device.platform})"


def sweep(args):
    """One subprocess per (token count, batch size); a Markdown table of the results."""
    rows = []
    print(f"\ntransformer(n_blocks={args.n_blocks}, positional='sum', "
          f"val_pos_emb={args.val_pos_emb}), d={args.features}, {args.dtype}, "
          f"precision={args.precision!r}\n")
    print("| device | n | L | batch_size | time | pairs/s | peak host | peak device |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for length in [int(v) for v in args.lengths.split(",")]:
        for batch_size in args.batch_sizes.split(","):
            command = [sys.executable, __file__, "--json", "--n", str(args.n), "--length",
                       str(length), "--features", str(args.features), "--n-blocks",
                       str(args.n_blocks), "--dtype", args.dtype, "--batch-size", batch_size,
                       "--repeats", str(args.repeats), "--precision", args.precision]
            command += ["--val-pos-emb"] if args.val_pos_emb else []
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                row = dict(device="?", n=args.n, length=length, batch_size=batch_size,
                           error=done.stderr.strip().splitlines()[-1:])
                print(f"| | {args.n} | {length} | {batch_size} | failed: {row['error']} | | | |")
            else:
                row = json.loads(done.stdout.strip().splitlines()[-1])
                device = "-" if row["peak_device"] is None else \
                    f"{row['peak_device'] / 2**30:.2f} GiB"
                print(f"| {row['device']} | {row['n']} | {length} | {row['batch_size']} | "
                      f"{row['seconds']:.3f} s | {row['n'] ** 2 / row['seconds']:,.0f} | "
                      f"{row['peak_host'] / 2**30:.2f} GiB | {device} |", flush=True)
            rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--length", type=int, default=32)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--n-blocks", type=int, default=2)
    parser.add_argument("--val-pos-emb", action="store_true",
                        help="the values see the positions too (the estimators' default)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--batch-size", default="auto")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cpu-devices", type=int, default=1)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--nt-python", help="Python of the pinned neural-tangents environment")
    parser.add_argument("--precision", default="highest", choices=["highest", "high", "default"])
    parser.add_argument("--sweep", action="store_true",
                        help="a table over --lengths and --batch-sizes, one process each")
    parser.add_argument("--lengths", default="32,128")
    parser.add_argument("--batch-sizes", default="auto,64,128,256,512,1024")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    if args.sweep:
        sweep(args)
        return 0
    batch_size = args.batch_size if args.batch_size == "auto" else int(args.batch_size)

    import jax

    jax.config.update("jax_num_cpu_devices", args.cpu_devices)
    if args.json:
        X = workload(args.n, args.length, args.features, args.dtype)
        params = dict(n_blocks=args.n_blocks, positional="sum", val_pos_emb=args.val_pos_emb)
        _, seconds, first = run_skattn(X, params, args.repeats, batch_size, args.n_jobs,
                                       args.precision)
        host, device = peak_memory()
        from skattn.kernels import transformer
        from skattn.kernels._compute import side_entries
        from skattn.kernels._tiling import resolve_batch_size

        side = resolve_batch_size(batch_size, args.n, args.length, X.dtype, jax.devices()[0],
                                  side_entries=side_entries(transformer(**params), args.length,
                                                            args.features, X.dtype))
        print(json.dumps(dict(device=device_name(), n=args.n, length=args.length,
                              batch_size=f"{side}" if batch_size != "auto" else f"auto ({side})",
                              seconds=seconds, first=first, peak_host=host,
                              peak_device=device)))
        return 0

    params = dict(n_blocks=args.n_blocks, positional="sum", val_pos_emb=args.val_pos_emb)
    X = workload(args.n, args.length, args.features, args.dtype)
    n = args.n
    print(f"workload: n={n} L={args.length} d={args.features} {params} {args.dtype}; "
          f"devices: {jax.devices()}; n_jobs={args.n_jobs}")
    out, seconds, first = run_skattn(X, params, args.repeats, batch_size, args.n_jobs,
                                     args.precision)
    peak, _ = peak_memory()
    gflop = flops(n, args.length, args.features, args.n_blocks) / 1e9
    print(f"skattn: {seconds:.3f} s (first call {first:.2f} s with compilation), "
          f"{n * n / seconds:,.0f} pairs/s, {gflop / seconds:.1f} nominal GFLOP/s "
          f"({gflop:.1f} GFLOP), peak memory {peak / 2**30:.2f} GiB")
    if args.nt_python:
        nt = run_nt(args.nt_python, X, params, args.repeats, args.cpu_devices)
        diff = max(float(np.abs(out[k] - nt[k]).max() / np.abs(nt[k]).max())
                   for k in ("nngp", "ntk"))
        print(f"neural-tangents 0.6.5, best ({nt['config']}): {float(nt['seconds']):.3f} s (first call "
              f"{float(nt['first']):.2f} s), {n * n / float(nt['seconds']):,.0f} pairs/s, "
              f"peak memory {float(nt['peak_bytes']) / 2**30:.2f} GiB")
        print(f"speed-up: {float(nt['seconds']) / seconds:.1f}x; "
              f"max relative difference: {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
