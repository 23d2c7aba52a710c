#!/usr/bin/env python3
"""The anatomical post-processing on every real CT in ../shared/data: volumes by side, airways,
what was removed and why, and the checks of the anatomy issue, as a Markdown table.

    python tools/anatomy/evaluate.py --lungseg .build/release/lungseg --work /tmp/anatomy \
        [--pictures docs/model/anatomy] [--weights W] [CASE ...]

Step 1 (slow, once per case: the network): `lungseg segment CT --probabilities WORK/CASE_p.nii.gz
--no-postprocessing --backend cpu`, skipped when the map exists. Step 2 (fast): `lungseg
postprocess CT --probabilities ... --split-lungs` (the same code as segment's post-processing),
then the checks against the references with nibabel. Needs numpy and nibabel.
"""
import argparse
import json
import os
import subprocess

import nibabel as nib
import numpy as np

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")
CASES = ["itk_chest00", "lungdx_A0001", "lungdx_A0002", "cip_ct64", "covidctmd_P001", "covidctmd_cap001",
         "covidctmd_normal001", "pyrad_lung1_2x", "ts_pulmonary_ct_cropped", "ts_example_ct_abdpelvis",
         "ts_example_ct_sm", "ts_upper_abdomen_negative", "cip_simple_dicom_abdomen_negative"]


def load(path):
    return np.asarray(nib.as_closest_canonical(nib.load(path)).dataobj)


def checks(name, mask):
    """The issue's checks that have a reference: Dice, CIP's airway label, sides, volumes."""
    found = []
    if name == "cip_ct64":
        reference = load(os.path.join(DATA, "cip_ct64_wholelung_mask.nii.gz")) > 0
        labelmap = load(os.path.join(DATA, "cip_ct64_cip_labelmap.nii.gz"))
        lungs = mask > 0
        dice = 2 * (lungs & reference).sum() / (lungs.sum() + reference.sum())
        region = labelmap & 0xFF
        right, left = (region >= 12) & (region <= 14), (region >= 9) & (region <= 11)
        found.append(f"CIP whole lung Dice {dice:.4f}")
        found.append(f"on CIP's 512 (trachea/main bronchi): {int((lungs & (labelmap == 512)).sum())} of {int((labelmap == 512).sum())} voxels")
        found.append(f"sides agree with CIP: right {((mask == 1) & right).sum() / right.sum():.3f}, left {((mask == 2) & left).sum() / left.sum():.3f}")
    if name == "ts_example_ct_abdpelvis":
        reference = load(os.path.join(DATA, "ts_example_ct_abdpelvis_lungs_tsfast.nii.gz")) > 0
        lungs = mask > 0
        dice = 2 * (lungs & reference).sum() / (lungs.sum() + reference.sum())
        found.append(f"reference {reference.sum() * 0.027:.1f} mL, volume {100 * (lungs.sum() / reference.sum() - 1):+.0f} %, Dice {dice:.3f}")
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lungseg", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--pictures")
    parser.add_argument("--weights")
    parser.add_argument("cases", nargs="*", default=CASES)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    print("| case | right mL | left mL | right share | lungs | airways mL | removed (mL) | checks | warnings |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.cases:
        ct = os.path.join(DATA, name + ".nii.gz")
        probability = os.path.join(args.work, name + "_p.nii.gz")
        if not os.path.exists(probability):
            command = [args.lungseg, "segment", ct, "-o", os.path.join(args.work, name + "_raw.nii.gz"), "--probabilities",
                       probability, "--no-postprocessing", "--backend", "cpu", "--quiet"]
            if args.weights:
                command += ["--weights", args.weights]
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        mask_path = os.path.join(args.work, name + ".nii.gz")
        report_path = os.path.join(args.work, name + ".json")
        picture = os.path.join(args.pictures or args.work, name + ".png")
        subprocess.run([args.lungseg, "postprocess", ct, "--probabilities", probability, "-o", mask_path, "--report", report_path,
                        "--qc", picture, "--split-lungs"], check=True, stderr=subprocess.DEVNULL)
        with open(report_path) as handle:
            report = json.load(handle)
        lungs = report["lungs"]
        total = lungs["totalML"]
        share = f"{100 * lungs['rightML'] / total:.0f} %" if total > 0 else "-"
        removed = ", ".join(f"{entry['reason']} {entry['mL']}" for entry in report["removed"]) or "-"
        row = [name, f"{lungs['rightML']:.1f}", f"{lungs['leftML']:.1f}", share, str(lungs["lungCount"]), f"{lungs['airwaysML']:.1f}",
               removed, "; ".join(checks(name, load(mask_path))) or "-", "; ".join(report["warnings"]) or "-"]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
