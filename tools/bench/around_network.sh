#!/bin/bash
# One sitting for the pipeline around the network (docs/BENCHMARKS.md, "Around the network, third
# sitting"): two lungseg builds alternating on the synthetic CTs with the stub predictor, masks
# compared, then the real CT with the CPU backend beside PyTorch + MONAI.
#   tools/bench/around_network.sh BEFORE_BINARY AFTER_BINARY BENCH_DIR DATA_DIR PYTHON
# BENCH_DIR holds syn150/syn512/syn600.nii.gz (tools/bench/make_synthetic_ct.py 512 512 N 0.7 0.7 S);
# PYTHON has torch and monai (never in CI). Stop anything else running first.
set -u
BASE=$1; HEAD=$2; BENCH=$3; DATA=$4; PY=$5
TOOLS=$(cd "$(dirname "$0")" && pwd)
OUT=$BENCH/sitting; mkdir -p "$OUT"; cd "$BENCH"
run() { # tag binary input args...
  local tag=$1 bin=$2 in=$3; shift 3
  /usr/bin/time -v "$bin" segment "$in" -o "$OUT/$tag.nii.gz" --report "$OUT/$tag.json" --qc "$OUT/$tag.png" "$@" > "$OUT/$tag.out" 2> "$OUT/$tag.time"
  python3 - "$OUT/$tag.json" "$OUT/$tag.time" "$tag" <<'PY'
import json, sys, re
r = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", t).group(1); rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
w = re.search(r"write ([0-9.]+) s", t)
print(sys.argv[3], " ".join(f"{x['stage']}={x['seconds']}" for x in r["timings"]), "write", w.group(1) if w else "?", "wall", wall, "rss_GB", round(rss / 1e6, 2), flush=True)
PY
}
lscpu | grep "Model name"; date -u
for round in 1 2; do
  run base512_$round "$BASE" syn512.nii.gz --weights stub
  run head512_$round "$HEAD" syn512.nii.gz --weights stub
done
for n in 600 150; do
  run base$n "$BASE" syn$n.nii.gz --weights stub
  run head$n "$HEAD" syn$n.nii.gz --weights stub
done
for s in 512_1 600 150; do
  cmp <(python3 -c "import gzip,sys; sys.stdout.buffer.write(gzip.open('$OUT/base$s.nii.gz').read())") \
      <(python3 -c "import gzip,sys; sys.stdout.buffer.write(gzip.open('$OUT/head$s.nii.gz').read())") && echo "$s masks identical"
done
P=$DATA/covidctmd_P001.nii.gz
for round in 1 2; do
  run baseP001_$round "$BASE" "$P" --backend cpu --threads 2
  run headP001_$round "$HEAD" "$P" --backend cpu --threads 2
  (cd "$TOOLS" && /usr/bin/time -v "$PY" torch_volume.py --input "$P" --threads 2 2> "$OUT/torch_$round.time" | tail -3; grep -E "Elapsed|Maximum resident" "$OUT/torch_$round.time")
done
date -u
