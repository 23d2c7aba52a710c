#!/usr/bin/env python3
"""Whole runs (the network included) of `lungseg segment --split-lungs` on variants of a CT: the
CT unchanged, with Gaussian noise of 60 HU (a low-dose scan, seed 1), and with the same voxels at
0.6 times the spacing (a child's chest: 0.216 of the volume).

    python tools/anatomy/whole_runs.py --lungseg .build/release/lungseg --out /tmp/whole [--case cip_ct64]

Prints right, left and airway volumes per variant; the QC pictures are in --out. Needs numpy and
nibabel.
"""
import argparse
import json
import os
import subprocess

import nibabel as nib
import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lungseg", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--case", default="cip_ct64")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    image = nib.as_closest_canonical(nib.load(os.path.join(DATA, args.case + ".nii.gz")))
    ct, affine = np.asarray(image.dataobj).astype(np.float32), image.affine
    noise = np.random.default_rng(1).normal(0, 60, ct.shape)
    variants = {"unchanged": (ct, affine), "noise60": (ct + noise, affine), "child06": (ct, np.diag([0.6, 0.6, 0.6, 1.0]) @ affine)}
    for name, (values, grid) in variants.items():
        stem = os.path.join(args.out, f"{args.case}_{name}")
        nib.save(nib.Nifti1Image(values.astype(np.int16), grid), stem + ".nii.gz")
        subprocess.run([args.lungseg, "segment", stem + ".nii.gz", "-o", stem + "_m.nii.gz", "--report", stem + ".json",
                        "--qc", stem + ".png", "--split-lungs", "--quiet"], check=True, stderr=subprocess.DEVNULL)
        with open(stem + ".json") as handle:
            lungs = json.load(handle)["lungs"]
        print(f"{args.case} {name}: right {lungs['rightML']} left {lungs['leftML']} airways {lungs['airwaysML']} lungs {lungs['lungCount']}")


if __name__ == "__main__":
    main()
