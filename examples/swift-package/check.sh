#!/usr/bin/env bash
# Builds and runs this example against lungseg by URL and version: a clone of the repository's
# HEAD, tagged 0.1.0, reached through a file:// URL. Prints the volumes and checks the mask.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/lungseg"
git -C "$work/lungseg" tag -f 0.1.0 >/dev/null
cp -r "$repo/examples/swift-package" "$work/example"
rm -rf "$work/example/.build"
cd "$work/example"
LUNGSEG_PACKAGE_URL="file://$work/lungseg" swift run -c release SegmentExample \
  "$repo/data/cip_ct64.nii.gz" "$repo/Models/lungseg-ahnet-lung.safetensors" "$work/mask.nii.gz"
test -s "$work/mask.nii.gz"
echo "examples/swift-package: ok"
