#!/usr/bin/env bash
# The checks of issue #14 on a GPU machine, in one go (about 8 minutes on an H200):
#   1. the test suite on the GPU (pytest-xdist; workers allocate GPU memory as they go),
#   2. the throughput sweep over tile sizes and token counts (benchmarks/kernel_throughput.py),
#   3. float32 at the default matmul precision, and float64, against "highest" float32,
#   4. token sums as a reduction (the GPU's form) against products (the CPU's), about
#      a minute (benchmarks/token_sums.py): whether the products should be used there too.
# Run from the repository root with skattn importable (PYTHONPATH=.); results are
# written to $OUT (default: ./gpu_checks) as sweep.md, token_sums.md and pytest.log.
# SUITE_SECONDS caps the suite so that the whole script ends in time.
set -uo pipefail
OUT=${OUT:-gpu_checks}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=${PYTHONPATH:-$PWD}  # absolute: the examples run elsewhere
PY=${PY:-python3}
bench() { $PY benchmarks/kernel_throughput.py --sweep "$@" | tee -a "$OUT/sweep.md"; }

nvidia-smi -L 2>/dev/null | tee "$OUT/device.txt"
$PY -c "import jax, sklearn; print('jax', jax.__version__, 'sklearn', sklearn.__version__, jax.devices())" \
    | tee -a "$OUT/device.txt"

XLA_PYTHON_CLIENT_PREALLOCATE=false timeout "${SUITE_SECONDS:-300}" \
    $PY -m pytest -q -n "${SUITE_WORKERS:-12}" -p no:cacheprovider -rfE --durations=15 \
    skattn tests 2>&1 | tee "$OUT/pytest.log"

bench --n 4000 --lengths 32 --batch-sizes auto,128,256,512,1024 --repeats 2
bench --n 4000 --lengths 32 --batch-sizes auto --repeats 2 --precision default
bench --n 4000 --lengths 32 --batch-sizes auto --repeats 2 --dtype float64
bench --n 4000 --lengths 32 --batch-sizes auto --repeats 2 --val-pos-emb  # the estimators' network
$PY benchmarks/token_sums.py --n 4000 --rounds 2 --repeats 2 | tee "$OUT/token_sums.md"
bench --n 2000 --lengths 128 --batch-sizes auto,64,128,256 --repeats 2
bench --n 400 --lengths 256,512 --batch-sizes auto,16,32,64 --repeats 1
bench --n 100 --lengths 1024 --batch-sizes auto,8,16 --repeats 1

