#!/usr/bin/env python3
"""Synthetic masses attached to the chest wall and the mediastinum, inserted into held-out CTs on
their own grid, and how much of each mass `lungseg segment` keeps inside the lung mask.

The masses are those of training's augmentation (augment.add_attached_masses: dense -30..+70 HU,
textured, 8-35 mm, centred on the lung's edge against tissue, filling the lung they overlap), placed
in the lung of the case's reference or reviewed label brought to the input grid. A tumour at the
pleura belongs to a lung mask (lungmask's R231 keeps it); the figure is the share of mass voxels
inside the mask, per case and over all masses.

    python tools/train/masses.py --weights Models/lungseg-ahnet-lung.safetensors \\
        --lungseg .build/release/lungseg --out docs/model/masses [--cases cip_ct64 lungdx_A0001] [--count 6]
"""
import argparse
import json
import os
import sys
import tempfile

import nibabel as nib
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
import common  # noqa: E402
import evaluate  # noqa: E402
import qc  # noqa: E402


def case_lung(name, hu, spacing):
    """The case's lung on its RAS input grid: the reference when there is one, else the reviewed
    classical label (model grid, labels.py) brought back."""
    _, reference, _ = common.CASES[name]
    if reference is not None:
        data, _, _ = common.load_ras(os.path.join(common.DATA, reference[0]))
        return common.reference_lung(data, reference[1]).astype(np.uint8)
    label = np.load(common.cache_path(name, "label")).astype(np.float32)
    return (common.resample(label, common.SPACING, dims=hu.shape, new_spacing=tuple(spacing)) >= 0.5).astype(np.uint8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", required=True)
    parser.add_argument("--lungseg", default=os.path.join(common.REPO, ".build", "release", "lungseg"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--cases", nargs="*", default=["cip_ct64", "lungdx_A0001", "lungdx_A0002"])
    parser.add_argument("--count", type=int, default=6, help="masses per case")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name in args.cases:
        _, _, role = common.CASES[name]
        assert role == "holdout", f"{name} is not held out: no accuracy figure on training cases"
        path = os.path.join(common.DATA, common.CASES[name][0])
        canonical = nib.as_closest_canonical(nib.load(path))
        hu, spacing, affine = common.load_ras(path)
        lung = case_lung(name, hu, spacing)
        rng = np.random.default_rng(args.seed)
        masses = np.zeros(hu.shape, np.uint8)
        image = augment.add_attached_masses(rng, hu.copy(), lung, args.count, spacing=tuple(spacing), masses=masses)
        with tempfile.TemporaryDirectory() as folder:
            ct_path = os.path.join(folder, f"{name}_masses.nii.gz")
            nib.save(nib.Nifti1Image(np.rint(image).astype(np.int16), canonical.affine), ct_path)
            mask, _, _ = evaluate.lungseg_mask(args.lungseg, ct_path, args.weights)
        mass = masses.astype(bool)
        inside = float((mask & mass).sum()) / max(int(mass.sum()), 1)
        voxel_ml = float(np.prod(spacing)) / 1000
        row = {"case": name, "masses": args.count, "mass_ml": round(mass.sum() * voxel_ml, 1),
               "inside_percent": round(100 * inside, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        qc.save(os.path.join(args.out, f"{name}.png"), image, mask.astype(np.uint8),
                title=f"{name} + synthetic masses (red), lungseg (green): {row['inside_percent']} % inside",
                second=masses, spacing=tuple(spacing), focus=masses)
    total = sum(r["mass_ml"] for r in rows)
    summary = {"rows": rows, "inside_percent_all": round(sum(r["mass_ml"] * r["inside_percent"] for r in rows) / max(total, 1e-9), 1)}
    common.write_json(os.path.join(args.out, "masses.json"), summary)
    print(json.dumps({"inside_percent_all": summary["inside_percent_all"]}))


if __name__ == "__main__":
    main()
