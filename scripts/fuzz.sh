#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (sanitized) and runs each on the seeds that
# tools/fuzz_seeds.py makes from the committed fixtures: a fixed seed and a fixed number of inputs
# per target (about a minute each on the 2-core VM), so that a run is reproducible and CI never
# fails by chance; SCALE (default 1) multiplies the inputs for longer runs by hand.
# Exits non-zero when a target finds a crash, a leak it should not have, or memory past 2 GB;
# the input is left in Fuzz/artifacts/. CI runs it after the tests (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${1:-1}"
python3 tools/fuzz_seeds.py Fuzz/corpus Fuzz/pickle-corpus Fuzz/safetensors-corpus Fuzz/torch-corpus Fuzz/dicom-corpus
cd Fuzz
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld -Xswiftc -enable-testing
mkdir -p artifacts
status=0
# target, corpus, longest input, inputs to run, extra options (ZIPFoundation's Foundation calls leak a path
# buffer per archive opened: not lungseg's, so leak detection is off for that target only).
while read -r target corpus length runs extra; do
  run="$(mktemp -d)"
  runs=$((runs * scale))
  echo "fuzz.sh: $target, $runs inputs from $corpus"
  leaks=1
  if [ "$extra" = "-detect_leaks=0" ]; then leaks=0; fi
  if ! ASAN_OPTIONS="detect_leaks=$leaks" SWIFT_BACKTRACE=enable=no ".build/release/$target" "$run" "$corpus" -max_len="$length" \
      -seed=1 -runs="$runs" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="artifacts/$target-" $extra \
      > "artifacts/$target.log" 2>&1; then
    echo "fuzz.sh: $target FAILED; its log: Fuzz/artifacts/$target.log" >&2
    tail -n 40 "artifacts/$target.log" >&2
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "artifacts/$target.log" | sed "s/^/fuzz.sh: $target /"
  rm -rf "$run"
done <<'TARGETS'
NIfTIFuzz corpus 4096 300000
PickleFuzz pickle-corpus 4096 800000
SafetensorsFuzz safetensors-corpus 4096 1500000
TorchArchiveFuzz torch-corpus 16384 15000 -detect_leaks=0
DICOMFuzz dicom-corpus 16384 30000
TARGETS
exit "$status"
