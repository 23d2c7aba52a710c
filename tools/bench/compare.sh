#!/usr/bin/env bash
# lungseg and PyTorch + MONAI alternately on the same 224x224x32 window and weights, in one go;
# prints each time and the ratios lungseg / PyTorch with min / median / max. With BEFORE (another
# lungseg binary, e.g. a build of an older commit) each round runs it too, right before this one.
#   tools/bench/compare.sh PYTHON [ROUNDS] [THREADS] [BEFORE]
# PYTHON: a python with torch, monai, numpy (a venv outside the repository). Needs a release build.
# AVX2 only, on an AVX-512 machine: OPENBLAS_CORETYPE=Haswell ONEDNN_MAX_CPU_ISA=AVX2 tools/bench/compare.sh ...
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:?"usage: tools/bench/compare.sh PYTHON [ROUNDS] [THREADS] [BEFORE]"}
rounds=${2:-3}
threads=${3:-2}
before=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -c "
import sys, numpy as np; sys.path.insert(0, 'tools/fixtures'); import seeded
np.save('$work/window.npy', seeded.uniform01(2024, 224 * 224 * 32).reshape(1, 1, 224, 224, 32))"
forward() {
  "$1" forward --weights seeded --input "$work/window.npy" --output "$work/ours.npy" --threads "$threads" --repeat 3 2>&1 | grep -oE 'median after the first [0-9.]+' | grep -oE '[0-9.]+$'
}
ours=()
olds=()
theirs=()
for round in $(seq "$rounds"); do
  if [ -n "$before" ]; then olds+=("$(forward "$before")"); fi
  ours+=("$(forward .build/release/lungseg)")
  line=$("$python" tools/bench/torch_forward.py --input "$work/window.npy" --threads "$threads" --repeats 3 | grep -oE 'median [0-9.]+' | grep -oE '[0-9.]+$')
  theirs+=("$line")
  echo "round $round: ${before:+before ${olds[-1]} s, }lungseg ${ours[-1]} s, PyTorch ${theirs[-1]} s"
done
"$python" - "${ours[*]}" "${theirs[*]}" "${olds[*]:-}" <<'PY'
import statistics, sys
def summary(name, times, theirs):
    ratios = sorted(a / b for a, b in zip(times, theirs))
    print(f"{name} / PyTorch: min {ratios[0]:.3f}, median {statistics.median(ratios):.3f}, max {ratios[-1]:.3f} over {len(ratios)} rounds")
theirs = [float(x) for x in sys.argv[2].split()]
if sys.argv[3].strip():
    summary("before", [float(x) for x in sys.argv[3].split()], theirs)
summary("lungseg", [float(x) for x in sys.argv[1].split()], theirs)
PY
