#!/usr/bin/env bash
# Prepares .device/ for tools/gpu/device_check.sh: the bundle (xz, stripped) and the MONAI wheel.
# .device/ is ignored by git (add "/.device/" to .git/info/exclude) and carried to the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .device && mkdir -p .device/whl
# The device call carries at most 64 MiB: the bundle goes without the model, and Models/ (54 MB,
# tracked) must be moved out of the work tree for that call (git stash or mv, then back).
LUNGSEG_BUNDLE_NO_MODEL=1 scripts/bundle.sh .device/build/lungseg
tar -C .device/build -cJf .device/lungseg.tar.xz lungseg
rm -rf .device/build
cp ../shared/data/covidctmd_cap001.nii.gz .device/ 2>/dev/null || echo "no shared data: whole-CT part skipped"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 -d .device/whl monai==1.6.1 nibabel==5.4.2
du -sh .device/*
