#!/usr/bin/env bash
# lungseg and PyTorch + MONAI alternately on the same 224x224x32 window and weights, in one go;
# prints each time and the ratios lungseg / PyTorch with min / median / max.
#   tools/bench/compare.sh PYTHON [ROUNDS] [THREADS]
# PYTHON: a python with torch, monai, numpy (a venv outside the repository). Needs a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:?"usage: tools/bench/compare.sh PYTHON [ROUNDS] [THREADS]"}
rounds=${2:-3}
threads=${3:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -c "
import sys, numpy as np; sys.path.insert(0, 'tools/fixtures'); import seeded
np.save('$work/window.npy', seeded.uniform01(2024, 224 * 224 * 32).reshape(1, 1, 224, 224, 32))"
ours=()
theirs=()
for round in $(seq "$rounds"); do
  line=$(.build/release/lungseg forward --weights seeded --input "$work/window.npy" --output "$work/ours.npy" --threads "$threads" --repeat 3 2>&1 | grep -oE 'median after the first [0-9.]+' | grep -oE '[0-9.]+$')
  ours+=("$line")
  line=$("$python" tools/bench/torch_forward.py --input "$work/window.npy" --threads "$threads" --repeats 3 | grep -oE 'median [0-9.]+' | grep -oE '[0-9.]+$')
  theirs+=("$line")
  echo "round $round: lungseg ${ours[-1]} s, PyTorch ${theirs[-1]} s"
done
"$python" - "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
ours = [float(x) for x in sys.argv[1].split()]
theirs = [float(x) for x in sys.argv[2].split()]
ratios = sorted(a / b for a, b in zip(ours, theirs))
print(f"lungseg / PyTorch: min {ratios[0]:.2f}, median {statistics.median(ratios):.2f}, max {ratios[-1]:.2f} over {len(ratios)} rounds")
PY
