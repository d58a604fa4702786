#!/usr/bin/env bash
# The checks of issue #14 on a GPU machine, in one go, most important first, each step
# cut to what is left of BUDGET seconds (default 420, about what an H200 needs for all):
#   1. the throughput sweep over tile sizes at the workloads, L=32 to L=1024
#      (benchmarks/kernel_throughput.py): is "auto" within 1.25x of the best tile?
#   2. the test suite on the GPU (pytest-xdist; workers allocate GPU memory as they go),
#      tests/test_gpu.py included: float32 at "highest" against float64,
#   3. float32 at the default matmul precision, float64, and the estimators' network,
#   4. token sums as a reduction (the GPU's form) against products (the CPU's)
#      (benchmarks/token_sums.py): whether the products should be used there too.
# Run from the repository root with skattn importable (PYTHONPATH=.); results are
# written to $OUT (default: ./gpu_checks) as sweep.md, pytest.log and token_sums.md.
set -uo pipefail
OUT=${OUT:-gpu_checks}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=${PYTHONPATH:-$PWD}  # absolute: the examples run elsewhere
PY=${PY:-python3}
END=$(( $(date +%s) + ${BUDGET:-420} ))
left() { echo $(( END - $(date +%s) )); }
step() {  # step SECONDS_AT_MOST command...: run while time is left, never past the budget
    local cap=$1; shift
    local t; t=$(left); (( t > cap )) && t=$cap
    if (( t < 10 )); then echo "skipped for time: $*" | tee -a "$OUT/skipped.txt"; return; fi
    timeout "$t" "$@" || echo "ended ($?): $*" | tee -a "$OUT/skipped.txt"
}

nvidia-smi -L 2>/dev/null | tee "$OUT/device.txt"
$PY -c "import jax, sklearn; print('jax', jax.__version__, 'sklearn', sklearn.__version__, jax.devices())" \
    | tee -a "$OUT/device.txt"

step 60 $PY benchmarks/kernel_throughput.py --sweep --n 4000 --lengths 32 --batch-sizes auto,256,1024 --repeats 2 | tee -a "$OUT/sweep.md"
step 45 $PY benchmarks/kernel_throughput.py --sweep --n 2000 --lengths 128 --batch-sizes auto,64,256 --repeats 2 | tee -a "$OUT/sweep.md"
step 60 $PY benchmarks/kernel_throughput.py --sweep --n 400 --lengths 512 --batch-sizes auto,16,64 --repeats 1 | tee -a "$OUT/sweep.md"
step 30 $PY benchmarks/kernel_throughput.py --sweep --n 100 --lengths 1024 --batch-sizes auto,8 --repeats 1 | tee -a "$OUT/sweep.md"
XLA_PYTHON_CLIENT_PREALLOCATE=false step "${SUITE_SECONDS:-200}" \
    $PY -m pytest -q -n "${SUITE_WORKERS:-14}" -p no:cacheprovider -p no:benchmark -rfE --durations=15 \
    skattn tests 2>&1 | tee "$OUT/pytest.log"
step 40 $PY benchmarks/kernel_throughput.py --sweep --n 4000 --lengths 32 --batch-sizes auto --repeats 2 --precision default | tee -a "$OUT/sweep.md"
step 40 $PY benchmarks/kernel_throughput.py --sweep --n 4000 --lengths 32 --batch-sizes auto --repeats 2 --dtype float64 | tee -a "$OUT/sweep.md"
step 40 $PY benchmarks/kernel_throughput.py --sweep --n 4000 --lengths 32 --batch-sizes auto --repeats 2 --val-pos-emb | tee -a "$OUT/sweep.md"
step 60 $PY benchmarks/token_sums.py --n 4000 --rounds 1 --repeats 2 | tee "$OUT/token_sums.md"
step 40 $PY benchmarks/kernel_throughput.py --sweep --n 400 --lengths 256 --batch-sizes auto,32,128 --repeats 1 | tee -a "$OUT/sweep.md"
echo "done with $(left) s of the budget left"
