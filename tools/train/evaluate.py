#!/usr/bin/env python3
"""Evaluate lung weights on every case: Dice and volume difference against the references
(held-out cases), false lung volume on the negative, agreement with the classical labels on the
training cases, QC pictures, and lungseg-vs-MONAI agreement with the same weights.

    python tools/train/evaluate.py --weights Models/lungseg-ahnet-lung.safetensors \
        --lungseg .build/release/lungseg --out docs/model [--monai-check covidctmd_cap001]
    python tools/train/evaluate.py --checkpoint WORK/checkpoint.pt --engine monai --cases cip_ct64

--engine lungseg runs `lungseg segment` (the product, with its post-processing); --engine monai
runs the same preprocessing in Python (tools/train/common.py) with MONAI's AHNet and
sliding_window_inference (224x224x32, overlap 0.25, gaussian), threshold 0.5, no post-processing.
The MONAI check compares MONAI with `lungseg segment --no-body-crop --no-postprocessing` (same grid, no
post-processing) on one real CT.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import nibabel as nib
import numpy as np
import torch
from monai.inferers import sliding_window_inference
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import qc  # noqa: E402
from train import make_network  # noqa: E402


def load_network(weights=None, checkpoint=None):
    network = make_network()
    if checkpoint:
        state = torch.load(checkpoint, weights_only=False)["network"]
    else:
        state = {k: v.float() for k, v in load_file(weights).items()}
    missing, unexpected = network.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    return network.eval()


def monai_probability(network, hu, spacing):
    """Lung probability on the RAS input grid, preprocessing as lungseg without the body crop."""
    model = common.scale_intensity(common.resample(hu, spacing))
    with torch.no_grad():
        logits = sliding_window_inference(torch.from_numpy(model)[None, None], common.WINDOW, 1, network,
                                          overlap=0.25, mode="gaussian")
        probability = torch.softmax(logits, dim=1)[0, 1].numpy()
    return common.resample(probability, common.SPACING, dims=hu.shape, new_spacing=tuple(spacing))


def lungseg_mask(binary, ct_path, weights, extra=(), threads=2):
    with tempfile.TemporaryDirectory() as folder:
        mask_path = os.path.join(folder, "mask.nii.gz")
        report_path = os.path.join(folder, "report.json")
        command = [binary, "segment", ct_path, "-o", mask_path, "--report", report_path, "--weights", weights,
                   "--backend", "cpu", "--threads", str(threads), "--quiet", *extra]
        started = time.time()
        subprocess.run(command, check=True)
        seconds = time.time() - started
        mask = np.asarray(nib.as_closest_canonical(nib.load(mask_path)).dataobj) > 0
        with open(report_path) as handle:
            report = json.load(handle)
    return mask, seconds, report


def mean_surface_distance(a, b, spacing):
    """Symmetric mean distance (mm) between the surfaces of two masks: each surface voxel's distance
    to the other mask's surface, averaged over both surfaces."""
    from scipy import ndimage
    surfaces = [m & ~ndimage.binary_erosion(m) for m in (a, b)]
    if not surfaces[0].any() or not surfaces[1].any():
        return float("nan")
    to_b = ndimage.distance_transform_edt(~surfaces[1], sampling=spacing)[surfaces[0]]
    to_a = ndimage.distance_transform_edt(~surfaces[0], sampling=spacing)[surfaces[1]]
    return float((to_b.sum() + to_a.sum()) / (to_b.size + to_a.size))


def dice(a, b):
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else 2.0 * (a & b).sum() / total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights")
    parser.add_argument("--checkpoint")
    parser.add_argument("--engine", choices=["lungseg", "monai"], default="lungseg")
    parser.add_argument("--lungseg", default=os.path.join(common.REPO, ".build", "release", "lungseg"))
    parser.add_argument("--out", default=os.path.join(common.WORK, "evaluation"))
    parser.add_argument("--cases", nargs="*", default=list(common.CASES))
    parser.add_argument("--monai-check", help="a case on which lungseg and MONAI are compared")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    network = None
    rows = []
    for name in args.cases:
        ct, reference, role = common.CASES[name]
        ct_path = os.path.join(common.DATA, ct)
        hu, spacing, _ = common.load_ras(ct_path)
        voxel_ml = float(np.prod(spacing)) / 1000
        if args.engine == "lungseg":
            mask, seconds, _ = lungseg_mask(args.lungseg, ct_path, args.weights, threads=args.threads)
        else:
            network = network or load_network(args.weights, args.checkpoint)
            started = time.time()
            mask = monai_probability(network, hu, spacing) >= 0.5
            seconds = time.time() - started
        row = {"case": name, "role": role, "lung_ml": round(mask.sum() * voxel_ml, 1), "seconds": round(seconds, 1)}
        second = None
        if reference is not None:
            ref_data, _, _ = common.load_ras(os.path.join(common.DATA, reference[0]))
            second = common.reference_lung(ref_data, reference[1]).astype(bool)
            row["reference"] = reference[1]
        elif role in ("train", "holdout"):
            # The classical label (model grid) brought back to the input grid for comparison.
            label = np.load(common.cache_path(name, "label")).astype(np.float32)
            second = common.resample(label, common.SPACING, dims=hu.shape, new_spacing=tuple(spacing)) >= 0.5
            row["reference"] = "classical label" + (" (training target)" if role == "train" else " (reviewed)")
        if second is not None:
            row["dice"] = round(dice(mask, second), 4)
            row["reference_ml"] = round(second.sum() * voxel_ml, 1)
            row["volume_difference_percent"] = round(100 * (mask.sum() - second.sum()) / max(second.sum(), 1), 2)
            row["surface_distance_mm"] = round(mean_surface_distance(mask, second, tuple(spacing)), 2)
        if name in common.LESIONS:
            lesion_file, lesion_slices = common.LESIONS[name]
            lesion = None
            if lesion_file:
                lesion_data, _, _ = common.load_ras(os.path.join(common.DATA, lesion_file))
                lesion = lesion_data > 0
                row["lesion_inside_percent"] = round(100 * float((mask & lesion).sum()) / max(int(lesion.sum()), 1), 1)
            qc.save(os.path.join(args.out, f"{name}_lesion.png"), hu, mask.astype(np.uint8),
                    title=f"{name}: {args.engine} (green), lesion" + (" mask (red)" if lesion is not None else " (by eye)"),
                    second=None if lesion is None else lesion.astype(np.uint8), spacing=tuple(spacing),
                    focus=lesion, slices=lesion_slices)
        rows.append(row)
        print(json.dumps(row), flush=True)
        qc.save(os.path.join(args.out, f"{name}.png"), hu, mask.astype(np.uint8),
                title=f"{name}: {args.engine} (green)" + ("" if second is None else f", reference (red), Dice {row['dice']:.3f}"),
                second=None if second is None else second.astype(np.uint8), spacing=tuple(spacing))
    summary = {"rows": rows}
    held = [r["dice"] for r in rows if r["role"] == "holdout" and "dice" in r]
    if held:
        summary["mean_dice_holdout"] = round(float(np.mean(held)), 4)
    negatives = [r["lung_ml"] for r in rows if r["role"] in ("negative", "train-negative")]
    if negatives:
        summary["negative_lung_ml"] = max(negatives)
    if args.monai_check:
        ct_path = os.path.join(common.DATA, common.CASES[args.monai_check][0])
        hu, spacing, _ = common.load_ras(ct_path)
        network = network or load_network(args.weights, args.checkpoint)
        ours, _, _ = lungseg_mask(args.lungseg, ct_path, args.weights, extra=("--no-body-crop", "--no-postprocessing"), threads=args.threads)
        theirs = monai_probability(network, hu, spacing) >= 0.5
        summary["monai_check"] = {"case": args.monai_check, "dice": round(dice(ours, theirs), 6),
                                  "voxels_differing": int((ours != theirs).sum()), "voxels": int(ours.size)}
        print("MONAI check", summary["monai_check"], flush=True)
    common.write_json(os.path.join(args.out, "metrics.json"), summary)
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}))


if __name__ == "__main__":
    main()
