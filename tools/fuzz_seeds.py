#!/usr/bin/env python3
"""Writes the seed corpora for Fuzz/: NIfTI files for NIfTIFuzz (NIfTI-1/-2, gzip and plain, a few
datatypes) and the data.pkl pickles of the committed torch.save fixtures for PickleFuzz.

Standard library only. The first byte of each NIfTI seed selects the file name the fuzz target uses
(0: .nii, 1: .nii.gz, 2: .hdr). Also copies committed fixtures as seeds for SafetensorsFuzz,
TorchArchiveFuzz and DICOMFuzz. Usage (from the repository root):
python3 tools/fuzz_seeds.py [Fuzz/corpus Fuzz/pickle-corpus Fuzz/safetensors-corpus Fuzz/torch-corpus Fuzz/dicom-corpus]
"""
import gzip
import os
import struct
import sys
import zipfile


def nifti1(dims, datatype, bitpix, data, slope=0.0, inter=0.0, single=True):
    h = bytearray(348)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, *dims)
    struct.pack_into("<hh", h, 70, datatype, bitpix)
    struct.pack_into("<8f", h, 76, 1, 0.8, 0.8, 5, 0, 0, 0, 0)
    struct.pack_into("<f", h, 108, 352 if single else 0)
    struct.pack_into("<ff", h, 112, slope, inter)
    h[123] = 2
    struct.pack_into("<hh", h, 252, 1, 1)
    struct.pack_into("<6f", h, 256, 0, 0, 1, 10, 20, -30)
    struct.pack_into("<12f", h, 280, -0.8, 0, 0, 10, 0, -0.8, 0, 20, 0, 0, 5, -30)
    h[344:348] = b"n+1\0" if single else b"ni1\0"
    return bytes(h) + (b"\0\0\0\0" + data if single else b"")


def nifti2(dims, datatype, bitpix, data):
    h = bytearray(540)
    struct.pack_into("<i", h, 0, 540)
    h[4:12] = b"n+2\0\r\n\x1a\n"
    struct.pack_into("<hh", h, 12, datatype, bitpix)
    struct.pack_into("<8q", h, 16, *dims)
    struct.pack_into("<8d", h, 104, 1, 0.8, 0.8, 5, 0, 0, 0, 0)
    struct.pack_into("<q", h, 168, 544)
    struct.pack_into("<ii", h, 344, 1, 1)
    struct.pack_into("<6d", h, 352, 0, 0, 1, 10, 20, -30)
    struct.pack_into("<12d", h, 400, -0.8, 0, 0, 10, 0, -0.8, 0, 20, 0, 0, 5, -30)
    return bytes(h) + b"\0\0\0\0" + data


def main(folder):
    os.makedirs(folder, exist_ok=True)
    ramp16 = struct.pack("<24h", *range(-12, 12))
    seeds = {
        "n1_int16": (0, nifti1([3, 4, 3, 2, 1, 1, 1, 1], 4, 16, ramp16)),
        "n1_int16_gz": (1, gzip.compress(nifti1([3, 4, 3, 2, 1, 1, 1, 1], 4, 16, ramp16))),
        "n1_float_scaled": (0, nifti1([3, 2, 2, 2, 1, 1, 1, 1], 16, 32, struct.pack("<8f", *range(8)), 2, -1)),
        "n1_uint8_4d": (0, nifti1([4, 2, 2, 2, 1, 1, 1, 1], 2, 8, bytes(range(8)))),
        "n1_pair": (2, nifti1([3, 2, 2, 2, 1, 1, 1, 1], 2, 8, b"", single=False)),
        "n2_int16": (0, nifti2([3, 4, 3, 2, 1, 1, 1, 1], 4, 16, ramp16)),
        "n2_double_gz": (1, gzip.compress(nifti2([3, 2, 2, 2, 1, 1, 1, 1], 64, 64, struct.pack("<8d", *range(8))))),
    }
    for name, (mode, content) in seeds.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(bytes([mode]) + content)


def pickle_seeds(folder, fixtures="Tests/AHNetTests/Fixtures"):
    os.makedirs(folder, exist_ok=True)
    for name in sorted(os.listdir(fixtures)):
        if name.endswith(".pt"):
            try:
                archive = zipfile.ZipFile(os.path.join(fixtures, name))
            except zipfile.BadZipFile:
                continue  # the crafted archives (regression fixtures) hold no readable pickle
            with archive:
                for entry in archive.namelist():
                    if entry.endswith("data.pkl"):
                        with open(os.path.join(folder, name + ".pkl"), "wb") as f:
                            f.write(archive.read(entry))


def file_seeds(folder, sources):
    """Copies committed fixtures as seeds: whole safetensors files, model.pt archives, DICOM slices."""
    import shutil
    os.makedirs(folder, exist_ok=True)
    for source in sources:
        shutil.copy(source, os.path.join(folder, os.path.basename(source)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Fuzz/corpus")
    pickle_seeds(sys.argv[2] if len(sys.argv) > 2 else "Fuzz/pickle-corpus")
    fixtures = "Tests/AHNetTests/Fixtures"
    file_seeds(sys.argv[3] if len(sys.argv) > 3 else "Fuzz/safetensors-corpus",
               [os.path.join(fixtures, n) for n in sorted(os.listdir(fixtures)) if n.endswith(".safetensors")])
    file_seeds(sys.argv[4] if len(sys.argv) > 4 else "Fuzz/torch-corpus",
               [os.path.join(fixtures, n) for n in sorted(os.listdir(fixtures)) if n.endswith(".pt")])
    dicom = "Tests/LungSegKitTests/Fixtures/dicom_cip_ct64"
    file_seeds(sys.argv[5] if len(sys.argv) > 5 else "Fuzz/dicom-corpus",
               [os.path.join(dicom, n) for n in ("IMG0001.dcm", "IMG0040.dcm")])
