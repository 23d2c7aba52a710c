#!/usr/bin/env python3
"""The voxels CIP labels trachea/main bronchi (512) that stay in lungseg's mask on cip_ct64, and
what rules near the tracked airways would cost in Dice against CIP's whole-lung mask.

    lungseg postprocess ../shared/data/cip_ct64.nii.gz --probabilities WORK/cip_ct64_p.nii.gz \
        -o WORK/cip_m.nii.gz --airways WORK/cip_aw.nii.gz --split-lungs
    python tools/anatomy/cip_airway_label.py --work WORK

WORK holds cip_ct64_p.nii.gz (tools/anatomy/evaluate.py saves it) and the two files above.
Prints each 512 voxel in the mask (probability, HU, distance to the airways), how many have
neighbours outside the mask against nearby lung, then, per rule, the 512 voxels left and the Dice. Needs numpy, scipy and nibabel.
"""
import argparse
import os

import nibabel as nib
import numpy as np
from scipy import ndimage

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")


def load(path):
    return np.asarray(nib.as_closest_canonical(nib.load(path)).dataobj)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    hu = load(os.path.join(DATA, "cip_ct64.nii.gz")).astype(float)
    labelmap = load(os.path.join(DATA, "cip_ct64_cip_labelmap.nii.gz"))
    reference = load(os.path.join(DATA, "cip_ct64_wholelung_mask.nii.gz")) > 0
    probability = load(os.path.join(args.work, "cip_ct64_p.nii.gz")).astype(float)
    mask = load(os.path.join(args.work, "cip_m.nii.gz")) > 0
    airways = load(os.path.join(args.work, "cip_aw.nii.gz")) > 0
    spacing = nib.as_closest_canonical(nib.load(os.path.join(DATA, "cip_ct64.nii.gz"))).header.get_zooms()
    distance = ndimage.distance_transform_edt(~airways, sampling=spacing)
    on512 = mask & (labelmap == 512)
    print(f"{on512.sum()} of {(labelmap == 512).sum()} voxels of 512 in the mask")
    for index in zip(*np.nonzero(on512)):
        print(f"  {tuple(int(v) for v in index)} p {probability[index]:.3f} HU {int(hu[index])} airways {distance[index]:.1f} mm")

    # In-plane neighbours outside the mask and the airways: the 512 voxels against CIP-lung voxels
    # of the mask within 30 mm of the airways (no count of them sets the 512 voxels apart).
    ring = np.ones((3, 3, 1))
    ring[1, 1, 0] = 0
    outside = ndimage.convolve((~mask & ~airways).astype(int), ring, mode="constant")
    near_lung = mask & reference & (distance < 30) & (labelmap != 512)
    for least in (1, 3, 5):
        print(f"  {least}+ of 8 neighbours outside: 512 {(on512 & (outside >= least)).sum()} of {on512.sum()}, "
              f"CIP lung near the airways {(near_lung & (outside >= least)).sum()} of {near_lung.sum()}")

    def report(name, removed):
        kept = mask & ~removed
        dice = 2 * (kept & reference).sum() / (kept.sum() + reference.sum())
        print(f"{name}: 512 left {(kept & (labelmap == 512)).sum()}, CIP lung taken {(removed & mask & reference).sum()}, Dice {dice:.4f}")

    report("nothing", np.zeros_like(mask))
    in_plane = np.zeros((3, 3, 3), bool)
    in_plane[:, :, 1] = True
    shapes = [("8 in-plane", in_plane), ("26", np.ones((3, 3, 3), bool)), ("6", ndimage.generate_binary_structure(3, 1))]
    for name, shape in shapes:
        for steps in (1, 2):
            rim = ndimage.binary_dilation(airways, shape, iterations=steps)
            report(f"rim {name}-neighbours x{steps}", rim)
            report(f"rim {name}-neighbours x{steps}, >= -850 HU", rim & (hu >= -850))
    for below, within in [(0.7, 20), (0.9, 30), (0.98, 30)]:
        report(f"probability below {below} within {within} mm of the airways", (distance < within) & (probability < below))


if __name__ == "__main__":
    main()
