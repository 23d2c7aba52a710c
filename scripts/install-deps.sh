#!/usr/bin/env bash
# Installs the Debian 12 packages lungseg builds and tests against, only those that are missing.
# Needs root (or sudo) the first time; a no-op once everything is there.
set -euo pipefail

packages=(
  pkg-config           # lets SwiftPM find OpenCL.pc and openblas.pc
  ocl-icd-opencl-dev   # the OpenCL ICD loader (libOpenCL.so) and its pkg-config file
  opencl-headers       # CL/cl.h
  pocl-opencl-icd      # an OpenCL device on the CPU: CI and machines without a GPU
  clinfo               # to look at OpenCL platforms by hand
  libopenblas-dev      # SGEMM for the CPU backend
  libnifti2-dev        # NIfTI-1/NIfTI-2 reading and writing (libnifti2, libznz)
  zlib1g-dev           # gzip, used beside libnifti
  libdeflate-dev       # .nii.gz decompressed in one call (twice as fast as zlib on real CTs)
  libpng-dev           # the QC picture
  libdcmtk-dev         # DICOM series input (DCMTK: dcmdata, JPEG, JPEG-LS and RLE decoders)
  libssl-dev           # SHA-256 (libcrypto) of batch inputs, to skip finished cases
  python3              # tools/fuzz_seeds.py (standard library only): the fuzz seeds CI makes
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
