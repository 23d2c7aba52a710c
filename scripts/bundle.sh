#!/usr/bin/env bash
# Builds a folder that runs lungseg on a Linux x86-64/arm64 machine without a Swift toolchain
# (for example a GPU server): the binary with the Swift runtime linked in, the shared libraries
# it needs beside it, and a wrapper that points the dynamic loader at them.
#
#   scripts/bundle.sh [OUTPUT_FOLDER]        default: dist/lungseg
#   OUTPUT_FOLDER/lungseg devices            run it anywhere with glibc >= 2.35 (Debian 12, Ubuntu 22.04)
#
# NVIDIA's OpenCL driver is not bundled: the machine's driver provides libnvidia-opencl.so.1,
# which the bundled ICD loader finds through /etc/OpenCL/vendors or lungseg's own fallback.
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:-dist/lungseg}

./scripts/install-deps.sh
swift build -c release --static-swift-stdlib --scratch-path .build-static --product lungseg

rm -rf "$output"
mkdir -p "$output/lib"
strip -o "$output/lib/lungseg" .build-static/release/lungseg

# The libraries lungseg loads, resolved through the dynamic loader; never the C runtime itself.
# DCMTK's (libdcm*, libijg*, libof*) come along; their libxml2 and libstdc++ are the machine's.
wanted='libopenblas|libgfortran|libquadmath|libnifti2|libznz|libz\.so|libdeflate|libOpenCL|libdcm|libijg|libofstd|liboflog|libcrypto|libpng16'
ldd .build-static/release/lungseg | awk '/=> \//{print $1, $3}' | while read -r name path; do
  if [[ "$name" =~ $wanted ]]; then
    cp -L "$path" "$output/lib/$name"
  fi
done

# DCMTK reads implicit-VR DICOM through its data dictionary, a file on Debian (not built in).
mkdir -p "$output/share"
cp /usr/share/libdcmtk17/dicom.dic "$output/share/dicom.dic"

# The trained weights (54 MB), found by lungseg in share/lungseg/ beside its lib/ folder. Leave them
# out with LUNGSEG_BUNDLE_NO_MODEL=1 (a bundle that must stay small; pass --weights or LUNGSEG_MODEL).
if [ "${LUNGSEG_BUNDLE_NO_MODEL:-0}" != 1 ] && [ -f Models/lungseg-ahnet-lung.safetensors ]; then
  mkdir -p "$output/share/lungseg"
  cp Models/lungseg-ahnet-lung.safetensors Models/README.md "$output/share/lungseg/"
fi

cat > "$output/lungseg" <<'WRAPPER'
#!/bin/sh
# Runs the bundled lungseg with its own libraries first on the loader's path and DCMTK's
# dictionary from the bundle (unless DCMDICTPATH is already set).
here=$(cd "$(dirname "$0")" && pwd)
DCMDICTPATH="${DCMDICTPATH:-$here/share/dicom.dic}" \
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/lib/lungseg" "$@"
WRAPPER
chmod +x "$output/lungseg"

echo "bundle: $output ($(du -sh "$output" | cut -f1))"
ls -l "$output/lib"
