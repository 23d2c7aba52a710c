#!/usr/bin/env bash
# Builds the DocC documentation of the libraries (AHNet, AHNetCPU, AHNetCL, LungSegKit) with
# swift-docc-plugin; any DocC warning fails the run. The archives go to .build/docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build/docs
for target in AHNet AHNetCPU AHNetCL LungSegKit; do
  swift package --allow-writing-to-directory .build/docs generate-documentation --target "$target" \
    --output-path ".build/docs/$target.doccarchive" --warnings-as-errors
done
echo "scripts/docs.sh: documentation built in .build/docs"
