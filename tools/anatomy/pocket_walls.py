#!/usr/bin/env python3
"""What lies above the pockets `GasPockets` considers: for each compact pocket of pure air in the
lower third of the network's mask (pure air below -950 HU, >= 2 mL, mean <= -980 HU, >= 40 % of it
surviving one erosion), the share of its columns with tissue (> -500 HU) within 10 mm above its
top: the diaphragm over bowel gas, none over a bulla.

    python tools/anatomy/pocket_walls.py --work /tmp/anatomy covidctmd_cap001
    python tools/anatomy/robustness.py --lungseg .build/release/lungseg --work /tmp/anatomy \\
        --out /tmp/bullae --keep-inputs covidctmd_normal001 lungdx_A0002 covidctmd_cap001 --only right_bulla left_bulla
    python tools/anatomy/pocket_walls.py /tmp/bullae/*bulla*_ct.nii.gz

A name is a case of ../shared/data (its map CASE_p.nii.gz in --work) or a variant's CT written by
robustness.py --keep-inputs (its map beside it). Needs numpy, scipy and nibabel.
"""
import argparse
import os

import nibabel as nib
import numpy as np
from scipy import ndimage

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")


def canonical(path):
    image = nib.as_closest_canonical(nib.load(path))
    return np.asarray(image.dataobj).astype(float), image.header.get_zooms()[:3]


def pockets(name, ct, probability, spacing, search_mm=10.0):
    voxel_ml = float(np.prod(spacing)) / 1000
    mask = probability >= 0.5
    pure = mask & (ct < -950)
    labels, count = ndimage.label(pure)
    slices = np.nonzero(mask.any((0, 1)))[0]
    low, high = slices[0], slices[-1]
    core = pure & ndimage.binary_erosion(pure, ndimage.generate_binary_structure(3, 1))
    steps = max(1, int(round(search_mm / spacing[2])))
    for label in range(1, count + 1):
        region = labels == label
        size = region.sum()
        if size * voxel_ml < 2 or ct[region].mean() > -980 or core[region].sum() / size < 0.4:
            continue
        height = (np.nonzero(region)[2] - low).mean()
        if height > (high - low) / 3:
            continue
        walled = counted = 0
        for i, j in zip(*np.nonzero(region.any(2))):
            top = np.nonzero(region[i, j])[0].max()
            above = ct[i, j, top + 1: top + 1 + steps]
            if len(above):
                counted += 1
                walled += above.max() > -500
        print(f"{name}: pocket of {size * voxel_ml:.0f} mL, {walled / max(counted, 1):.0%} of its {counted} columns with tissue above")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/anatomy")
    parser.add_argument("names", nargs="+")
    args = parser.parse_args()
    for name in args.names:
        if name.endswith("_ct.nii.gz"):
            ct, spacing = canonical(name)
            probability, _ = canonical(name.replace("_ct.nii.gz", "_p.nii.gz"))
            label = os.path.basename(name)[:-len("_ct.nii.gz")]
        else:
            ct, spacing = canonical(os.path.join(DATA, name + ".nii.gz"))
            probability, _ = canonical(os.path.join(args.work, name + "_p.nii.gz"))
            label = name
        pockets(label, ct, probability, spacing)


if __name__ == "__main__":
    main()
