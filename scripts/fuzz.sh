#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (sanitized) and runs each on the seeds that
# tools/fuzz_seeds.py makes from the committed fixtures, for SECONDS each (default 60).
# Exits non-zero when a target finds a crash, a leak it should not have, or memory past 2 GB;
# the input is left in Fuzz/artifacts/. CI runs it after the tests (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
python3 tools/fuzz_seeds.py Fuzz/corpus Fuzz/pickle-corpus Fuzz/safetensors-corpus Fuzz/torch-corpus Fuzz/dicom-corpus
cd Fuzz
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld -Xswiftc -enable-testing
mkdir -p artifacts
status=0
# target, corpus, longest input, extra options (ZIPFoundation's Foundation calls leak a path
# buffer per archive opened: not lungseg's, so leak detection is off for that target only).
while read -r target corpus length extra; do
  run="$(mktemp -d)"
  echo "fuzz.sh: $target for ${seconds} s on $corpus"
  leaks=1
  if [ "$extra" = "-detect_leaks=0" ]; then leaks=0; fi
  if ! ASAN_OPTIONS="detect_leaks=$leaks" SWIFT_BACKTRACE=enable=no ".build/release/$target" "$run" "$corpus" -max_len="$length" \
      -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="artifacts/$target-" $extra \
      > "artifacts/$target.log" 2>&1; then
    echo "fuzz.sh: $target FAILED; its log: Fuzz/artifacts/$target.log" >&2
    tail -n 40 "artifacts/$target.log" >&2
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::new_units_added" "artifacts/$target.log" | sed "s/^/fuzz.sh: $target /"
  rm -rf "$run"
done <<'TARGETS'
NIfTIFuzz corpus 4096
PickleFuzz pickle-corpus 4096
SafetensorsFuzz safetensors-corpus 4096
TorchArchiveFuzz torch-corpus 16384 -detect_leaks=0
DICOMFuzz dicom-corpus 16384
TARGETS
exit "$status"
