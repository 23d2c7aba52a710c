#!/usr/bin/env bash
# The speed issue's measurements in one go, lungseg and PyTorch + MONAI alternately on this
# machine: one window (compare.sh), `lungseg bench`, a synthetic 438x438x60 CT at 0.8x0.8x5 mm
# (27 windows, both sides, twice), and a real CT through lungseg's default pipeline and MONAI's.
#   tools/bench/targets.sh PYTHON [REAL_CT]
# PYTHON: a python with torch, monai, nibabel (a venv outside the repository). REAL_CT defaults to
# ../shared/data/covidctmd_P001.nii.gz and is skipped when missing. Needs a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:?"usage: tools/bench/targets.sh PYTHON [REAL_CT]"}
real=${2:-../shared/data/covidctmd_P001.nii.gz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lungseg=.build/release/lungseg
timed() { /usr/bin/time -v "$@" 2>&1 | grep -E "torch cpu|Elapsed|Maximum resident" || true; }
inference() {
  "$python" -c "import json, sys; r = json.load(open(sys.argv[1])); print('lungseg inference', [t['seconds'] for t in r['timings'] if t['stage'] == 'inference'][0], 's, windows', r['windows'])" "$1"
}

echo "HEAD $(git rev-parse --short HEAD) $(date -u +%FT%TZ)"
echo "### one window"
tools/bench/compare.sh "$python" 5 2
echo "### lungseg bench"
"$lungseg" bench --backend cpu --threads 2 --repeats 6 2>&1 | grep -E "machine|CPU|peak"
"$python" tools/bench/make_synthetic_ct.py "$work/vol438.nii.gz" 438 438 60 0.8 0.8 5 > /dev/null
for round in 1 2; do
  echo "### 438x438x60, round $round"
  rm -f "$work/mask.nii.gz" "$work/report.json"
  timed "$lungseg" segment "$work/vol438.nii.gz" -o "$work/mask.nii.gz" --report "$work/report.json" --no-body-crop \
    --backend cpu --threads 2 --quiet
  inference "$work/report.json"
  (cd tools/bench && timed "$python" torch_volume.py --input "$work/vol438.nii.gz" --threads 2)
done
if [ -f "$real" ]; then
  echo "### $(basename "$real"), lungseg's default pipeline, then MONAI's"
  rm -f "$work/mask.nii.gz" "$work/report.json"
  timed "$lungseg" segment "$real" -o "$work/mask.nii.gz" --report "$work/report.json" --backend cpu --threads 2 --quiet
  inference "$work/report.json"
  real_path=$(cd "$(dirname "$real")" && pwd)/$(basename "$real")
  (cd tools/bench && timed "$python" torch_volume.py --input "$real_path" --threads 2)
fi
echo "### done $(date -u +%T)"
