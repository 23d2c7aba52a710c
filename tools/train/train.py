#!/usr/bin/env python3
"""Train MONAI's AHNet (Clara layout: psp_block_num=0, trilinear upsampling, 2 classes) on the
cached training cases (tools/train/labels.py first). Resumable: the checkpoint in WORK is loaded
when present; run again with a larger --steps to go on.

    python tools/train/train.py --steps 1500 --crop 128 128 32 --batch 2 --threads 2
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from monai.networks.nets import AHNet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import augment  # noqa: E402
import common  # noqa: E402


def make_network():
    return AHNet(spatial_dims=3, in_channels=1, out_channels=2, psp_block_num=0, upsample_mode="trilinear")


def load_cases():
    cases = []
    for name, (_, _, role) in common.CASES.items():
        if role not in common.TRAINING_ROLES:
            continue
        ignore_path = common.cache_path(name, "ignore")
        cases.append((name, np.load(common.cache_path(name, "image")), np.load(common.cache_path(name, "label")),
                      np.load(ignore_path) if os.path.exists(ignore_path) else None))
    return cases


def loss_function(logits, target, ignore, masses=None, mass_weight=1.0):
    """Cross-entropy plus soft Dice of the lung class, both over the voxels whose label is known.
    Voxels of synthetic masses count `mass_weight` times in the cross-entropy: a mass is a few
    hundredths of a crop, and the lung around it would otherwise decide the gradient."""
    valid = (~ignore).float()
    weight = valid if masses is None else valid * (1 + (mass_weight - 1) * masses.float())
    ce = (F.cross_entropy(logits, target, reduction="none") * weight).sum() / weight.sum().clamp(min=1)
    p = torch.softmax(logits, dim=1)[:, 1]
    y = target.float()
    intersection = (p * y * valid).sum(dim=(1, 2, 3))
    denominator = (p * valid).sum(dim=(1, 2, 3)) + (y * valid).sum(dim=(1, 2, 3))
    dice = (2 * intersection + 1) / (denominator + 1)
    return ce + (1 - dice.mean()), dice.mean().item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, required=True, help="total optimiser steps (including resumed ones)")
    parser.add_argument("--crop", type=int, nargs=3, default=[128, 128, 32])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lesion-probability", type=float, default=0.6)
    parser.add_argument("--lowres-probability", type=float, default=0.0,
                        help="share of crops shown at a coarser in-plane resolution (1.5-6x)")
    parser.add_argument("--mass-probability", type=float, default=0.0,
                        help="share of crops with 1-2 dense masses attached to the chest wall or mediastinum")
    parser.add_argument("--mass-weight", type=float, default=1.0,
                        help="weight of synthetic mass voxels in the cross-entropy (1: like any voxel)")
    parser.add_argument("--masses-avoid-diaphragm", action="store_true",
                        help="no synthetic masses against the lungs' lower surface")
    parser.add_argument("--effusion-probability", type=float, default=0.0,
                        help="share of crops with pleural fluid below a lung (labelled not lung)")
    parser.add_argument("--circle-probability", type=float, default=0.0,
                        help="share of crops with padding outside the reconstruction circle")
    parser.add_argument("--table-probability", type=float, default=0.0,
                        help="share of crops with a synthetic table (and sometimes arms)")
    parser.add_argument("--negative-share", type=float, default=0.08,
                        help="share of crops drawn from the cases without lung")
    parser.add_argument("--init", help="safetensors weights to start from (fine-tuning) when no checkpoint exists")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checkpoint", default=os.path.join(common.WORK, "checkpoint.pt"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cases = load_cases()
    weights = np.array([c[2].sum() ** 0.5 for c in cases], np.float64)
    negatives = weights == 0
    weights /= weights.sum()
    if negatives.any():
        weights = np.where(negatives, args.negative_share / negatives.sum(), weights * (1 - args.negative_share))
    network = make_network()
    if args.init and not os.path.exists(args.checkpoint):
        from safetensors.torch import load_file
        missing, unexpected = network.load_state_dict({k: v.float() for k, v in load_file(args.init).items()}, strict=False)
        assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
        print(f"starting from {args.init}", flush=True)
    optimiser = torch.optim.AdamW(network.parameters(), lr=args.lr, weight_decay=1e-4)
    step = 0
    if os.path.exists(args.checkpoint):
        state = torch.load(args.checkpoint, weights_only=False)
        network.load_state_dict(state["network"])
        optimiser.load_state_dict(state["optimiser"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    rng = np.random.default_rng(args.seed * 100003 + step)
    network.train()
    log = open(os.path.join(common.WORK, "train.log"), "a")
    started = time.time()
    while step < args.steps:
        warmup = min(1.0, (step + 1) / 50)
        cosine = 0.5 * (1 + np.cos(np.pi * min(step / max(args.steps, 1), 1.0)))
        for group in optimiser.param_groups:
            group["lr"] = args.lr * warmup * (0.02 + 0.98 * cosine)
        xs, ys, ignores, mass_masks, names = [], [], [], [], []
        for _ in range(args.batch):
            name, image, label, ignore = cases[rng.choice(len(cases), p=weights)]
            crop, crop_label, crop_ignore, margin, lower = augment.random_crop(rng, image, label, ignore, args.crop)
            crop_masses = np.zeros(crop.shape, np.uint8)
            if rng.random() < args.table_probability:
                crop = augment.add_table_and_arms(rng, crop)
            if rng.random() < args.circle_probability:
                crop, crop_label, outside = augment.add_padding_circle(rng, crop, crop_label, lower, image.shape)
                crop_ignore[outside] = 0
            if rng.random() < args.lesion_probability:
                crop = augment.add_lesions(rng, crop, crop_label, int(rng.integers(1, 4)))
            if rng.random() < args.mass_probability:
                crop = augment.add_attached_masses(rng, crop, crop_label, int(rng.integers(1, 3)), masses=crop_masses,
                                                     avoid_diaphragm=args.masses_avoid_diaphragm)
            if rng.random() < args.effusion_probability:
                crop, crop_label = augment.add_effusion(rng, crop, crop_label)
                crop_masses[crop_label == 0] = 0  # fluid drawn over a mass: not lung any more
            x, y, ig, ms = augment.to_tensors(rng, crop, crop_label, crop_ignore, margin, args.crop,
                                              args.lowres_probability, masses=crop_masses)
            xs.append(x), ys.append(y), ignores.append(ig), mass_masks.append(ms), names.append(name)
        x = torch.stack(xs)
        y = torch.stack(ys)
        ignore = torch.stack(ignores)
        masses = torch.stack(mass_masks)
        t0 = time.time()
        logits = network(x)
        loss, dice = loss_function(logits, y, ignore, masses, args.mass_weight)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        step += 1
        line = {"step": step, "loss": round(loss.item(), 4), "dice": round(dice, 4),
                "lr": optimiser.param_groups[0]["lr"], "seconds": round(time.time() - t0, 2),
                "crop": args.crop, "batch": args.batch, "cases": names}
        print(json.dumps(line), file=log, flush=True)
        if step % 25 == 0 or step == args.steps:
            torch.save({"network": network.state_dict(), "optimiser": optimiser.state_dict(), "step": step},
                       args.checkpoint + ".tmp")
            os.replace(args.checkpoint + ".tmp", args.checkpoint)
            print(f"step {step} loss {loss.item():.4f} dice {dice:.4f} elapsed {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
