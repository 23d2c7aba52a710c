#!/usr/bin/env python3
"""Export a training checkpoint to safetensors (float16 storage, MONAI AHNet key names, no
num_batches_tracked) with lungseg's metadata in __metadata__["lungseg"].

    python tools/train/export.py --checkpoint WORK/checkpoint.pt --output Models/lungseg-ahnet-lung.safetensors \
        [--metrics docs/model/metrics.json]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

RECIPE_VERSION = "2"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default=os.path.join(common.WORK, "checkpoint.pt"))
    parser.add_argument("--output", required=True)
    parser.add_argument("--metrics", help="a JSON object of evaluation figures to record (strings)")
    parser.add_argument("--dtype", choices=["float16", "float32"], default="float16")
    parser.add_argument("--init-note", default="version 1 (1,600 steps from scratch, recipe version 1)",
                        help="what the training started from, for the provenance")
    args = parser.parse_args()
    state = torch.load(args.checkpoint, weights_only=False)
    dtype = torch.float16 if args.dtype == "float16" else torch.float32
    tensors = {name: value.detach().to(dtype).contiguous()
               for name, value in state["network"].items() if not name.endswith("num_batches_tracked")}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=common.REPO, capture_output=True, text=True).stdout.strip()
    training = [name for name, (_, _, role) in common.CASES.items() if role in common.TRAINING_ROLES]
    held_out = [name for name, (_, _, role) in common.CASES.items() if role not in common.TRAINING_ROLES]
    provenance = {
        "name": "lungseg-ahnet-lung",
        "architecture": "MONAI AHNet(spatial_dims=3, in_channels=1, out_channels=2, psp_block_num=0, upsample_mode='trilinear') (Clara PT layout)",
        "recipe": f"tools/train (recipe version {RECIPE_VERSION}, commit {commit})",
        "training_steps": str(state["step"]),
        "training_data": ", ".join(training) + " (../shared/data; classical labels without the airways, see tools/train/README.md)",
        "initialised_from": args.init_note,
        "held_out": ", ".join(held_out),
        "date": datetime.date.today().isoformat(),
        "licence": "weights: same terms as lungseg; training CT licences in data/README.md and tools/train/README.md",
        "storage": args.dtype,
    }
    if args.metrics:
        with open(args.metrics) as handle:
            provenance.update({f"metric_{k}": str(v) for k, v in json.load(handle).items()})
    metadata = {
        "pipeline": {"spacing": list(common.SPACING), "clipMin": common.CLIP[0], "clipMax": common.CLIP[1],
                     "scaledMin": 0.0, "scaledMax": 1.0, "windowSize": list(common.WINDOW),
                     "orientation": "RAS", "foregroundLabel": 1},
        "provenance": provenance,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    save_file(tensors, args.output + ".tmp", metadata={"lungseg": json.dumps(metadata, sort_keys=True)})
    os.replace(args.output + ".tmp", args.output)
    print(f"wrote {args.output}: {len(tensors)} tensors, step {state['step']}")


if __name__ == "__main__":
    main()
