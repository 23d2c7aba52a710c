#!/usr/bin/env bash
# The GPU check, run on a machine with an NVIDIA GPU and no Swift toolchain. Everything it needs
# travels in .device/ (made by tools/gpu/prepare.sh here): the bundle (scripts/bundle.sh) as
# lungseg.tar.xz and the MONAI wheel. Results go to $OUT (default /tmp/lungseg-gpu); a table is
# printed last. Usage, from the repository root: bash tools/gpu/device_check.sh
set -u
OUT=${OUT:-/tmp/lungseg-gpu}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
work=/tmp/lungseg-work
mkdir -p "$work"
tar -C "$work" -xJf .device/lungseg.tar.xz
L="$work/lungseg/lungseg"
python3 -m pip install -q --no-index --no-deps --no-compile --target "$work/site" .device/whl/*.whl && export PYTHONPATH="$work/site"

section() { echo; echo "=== $*"; }
section "machine"
date -u; uname -r
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
ls -l /etc/OpenCL/vendors 2>&1; cat /etc/OpenCL/vendors/*.icd 2>/dev/null
ldconfig -p | grep -iE "opencl|libnvidia-opencl" || true
ls /usr/local/nvidia/lib64 2>/dev/null | grep -i opencl || true

section "lungseg devices (with the inline-PTX probe)"
timeout 120 "$L" devices --probe-ptx | tee "$OUT/devices.txt"

section "inputs"
python3 - "$work" <<'PY'
import sys, numpy as np
sys.path.insert(0, "tools/fixtures")
import seeded
work = sys.argv[1]
np.save(f"{work}/w224.npy", seeded.uniform01(2024, 224 * 224 * 32).reshape(1, 1, 224, 224, 32))
np.save(f"{work}/b224.npy", seeded.uniform01(2025, 4 * 224 * 224 * 32).reshape(4, 1, 224, 224, 32))
print("made 1 and 4 windows of 224x224x32")
PY

section "OpenCL forward, 1 window, default tiles, narrow-tile build off (LUNGSEG_NARROW_TILES=0)"
LUNGSEG_NARROW_TILES=0 timeout 180 "$L" forward --weights seeded --input "$work/w224.npy" --output "$work/cl224_wide.npy" --backend opencl --repeat 10 2>&1 | tee "$OUT/opencl_window_wide.txt"

section "OpenCL forward, 1 window, default tiles"
timeout 180 "$L" forward --weights seeded --input "$work/w224.npy" --output "$work/cl224.npy" --backend opencl --repeat 10 2>&1 | tee "$OUT/opencl_window.txt"
section "OpenCL forward, batch of 4 windows"
timeout 180 "$L" forward --weights seeded --input "$work/b224.npy" --output "$work/cl_b4.npy" --backend opencl --repeat 4 2>&1 | tee "$OUT/opencl_batch4.txt"
section "CPU backend forward on this machine, 1 window"
timeout 180 "$L" forward --weights seeded --input "$work/w224.npy" --output "$work/cpu224.npy" --backend cpu --repeat 3 2>&1 | tee "$OUT/cpu_window.txt"

section "PyTorch CUDA (MONAI AHNet, same seeded weights)"
timeout 180 python3 tools/bench/torch_forward.py --input "$work/w224.npy" --output "$work/torch224.npy" --device cuda --tf32 off --repeats 20 2>&1 | tee "$OUT/torch_fp32.txt"
timeout 180 python3 tools/bench/torch_forward.py --input "$work/w224.npy" --device cuda --tf32 on --repeats 20 2>&1 | tee "$OUT/torch_tf32.txt"
timeout 180 python3 tools/bench/torch_forward.py --input "$work/b224.npy" --output "$work/torch_b4.npy" --device cuda --tf32 off --repeats 10 2>&1 | tee "$OUT/torch_fp32_b4.txt"

section "agreement"
python3 - "$work" <<'PY' | tee "$OUT/agreement.txt"
import sys, numpy as np
w = sys.argv[1]
def compare(name, a, b):
    try:
        x = np.load(f"{w}/{a}").astype(np.float64); y = np.load(f"{w}/{b}").astype(np.float64)
    except Exception as error:
        print(f"{name}: missing ({error})"); return
    rel = np.linalg.norm(x - y) / np.linalg.norm(y)
    print(f"{name}: relative L2 {rel:.3e}, argmax agreement {np.mean(x.argmax(1) == y.argmax(1)):.6f}")
compare("OpenCL vs PyTorch CUDA fp32", "cl224.npy", "torch224.npy")
compare("OpenCL vs CPU backend", "cl224.npy", "cpu224.npy")
compare("CPU backend vs PyTorch CUDA fp32", "cpu224.npy", "torch224.npy")
compare("OpenCL batch 4 vs PyTorch CUDA fp32 batch 4", "cl_b4.npy", "torch_b4.npy")
PY

section "tile variants (M,N,K,perItemM,perItemN), 1 window"
for tiles in ${TILES:-64,64,16,4,4 64,64,8,4,4 64,64,32,4,4 128,64,16,8,4 64,128,16,4,8 128,128,16,8,8 128,128,8,8,8 32,64,16,4,4 64,32,16,4,4 32,32,16,4,4 128,64,16,4,4 64,128,16,4,4}; do
  printf "tiles %s: " "$tiles"
  timeout 60 "$L" forward --weights seeded --input "$work/w224.npy" --output "$work/tile.npy" --backend opencl --repeat 6 --tiles "$tiles" 2>&1 | grep -oE "median after the first [0-9.]+ s|error.*"
done | tee "$OUT/tiles.txt"

if [ -f .device/covidctmd_cap001.nii.gz ]; then
  section "whole CT, read to written: covidctmd_cap001 (377x377x134, 0.8x0.8x2.5 mm), OpenCL, batch 4"
  for run in 1 2; do
    start=$(date +%s.%N)
    timeout 300 "$L" segment .device/covidctmd_cap001.nii.gz -o "$work/cap001_mask.nii.gz" --report "$OUT/cap001_report_$run.json" \
      --weights seeded --backend opencl --batch 4 --quiet 2>&1 | tail -3
    echo "wall seconds (run $run): $(python3 -c "print(round($(date +%s.%N) - $start, 3))")"
  done | tee "$OUT/cap001.txt"
  section "whole CT, read to written: synthetic 512x512x300 at 0.7x0.7x1.0 mm, OpenCL, batch 4"
  python3 tools/bench/make_synthetic_ct.py "$work/synthetic.nii.gz" 512 512 300 0.7 0.7 1.0
  for run in 1 2; do
    start=$(date +%s.%N)
    timeout 300 "$L" segment "$work/synthetic.nii.gz" -o "$work/synthetic_mask.nii.gz" --report "$OUT/synthetic_report_$run.json" \
      --weights seeded --backend opencl --batch 4 --quiet 2>&1 | tail -3
    echo "wall seconds (run $run): $(python3 -c "print(round($(date +%s.%N) - $start, 3))")"
  done | tee "$OUT/synthetic.txt"
fi

section "summary"
{
  echo "device:            $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)"
  echo "OpenCL 1 window:   $(grep -oE 'median after the first [0-9.]+ s' "$OUT/opencl_window.txt")"
  echo "OpenCL 1 window, no narrow tiles: $(grep -oE 'median after the first [0-9.]+ s' "$OUT/opencl_window_wide.txt" 2>/dev/null)"
  echo "OpenCL 4 windows:  $(grep -oE 'median after the first [0-9.]+ s' "$OUT/opencl_batch4.txt")"
  echo "CPU backend:       $(grep -oE 'median after the first [0-9.]+ s' "$OUT/cpu_window.txt")"
  echo "torch fp32:        $(grep -oE 'median [0-9.]+' "$OUT/torch_fp32.txt")"
  echo "torch tf32:        $(grep -oE 'median [0-9.]+' "$OUT/torch_tf32.txt")"
  echo "torch fp32 b4:     $(grep -oE 'median [0-9.]+' "$OUT/torch_fp32_b4.txt")"
  grep -E "PTX probe" "$OUT/devices.txt"
  cat "$OUT/agreement.txt"
  cat "$OUT/cap001.txt" "$OUT/synthetic.txt" 2>/dev/null | grep "wall seconds"
  for f in "$OUT"/*_report_2.json; do
    [ -f "$f" ] && python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[1].split('/')[-1], r['windows'], ', '.join(f\"{t['stage']} {t['seconds']}\" for t in r['timings']))" "$f"
  done
} | tee "$OUT/summary.txt"
