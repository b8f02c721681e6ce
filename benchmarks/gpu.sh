#!/usr/bin/env bash
# GPU benchmark of the paper presets (see benchmarks/bench_gpu.py): needs a CUDA machine and `make venv`.
# Writes results/gpu/benchmark.json (step times, images/s, peak memory, projected paper-run times).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
exec "$PY" benchmarks/bench_gpu.py "$@"
