#!/usr/bin/env python3
"""PyTorch + MONAI forward of AH-Net (Clara PT config) on a .npy window, for side-by-side timing
and agreement with `lungseg forward`. Not run by CI.

    /tmp/venv/bin/python tools/bench/torch_forward.py --input window.npy --output torch_logits.npy \
        --threads 2 --repeats 3 [--weights seeded]

"seeded" builds the same weights as `lungseg forward --weights seeded` (tools/fixtures/seeded.py,
BN running mean 0 and variance 1). Prints the wall time of each forward after one warm-up.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from monai.networks.nets import AHNet

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import seeded  # noqa: E402


def seeded_network(salt=0):
    net = AHNet(spatial_dims=3, in_channels=1, out_channels=2, psp_block_num=0, upsample_mode="trilinear")
    state = net.state_dict()
    with torch.no_grad():
        for index, (name, shape) in enumerate(seeded.parameter_shapes(state)):
            if name.endswith("running_mean"):
                state[name].zero_()
            elif name.endswith("running_var"):
                state[name].fill_(1)
            else:
                state[name].copy_(torch.from_numpy(seeded.parameter_value(name, shape, index, salt)))
    return net.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--output")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--weights", default="seeded")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--tf32", default="off", choices=["off", "on"], help="TF32 matmul/conv on CUDA")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.cuda.matmul.allow_tf32 = args.tf32 == "on"
    torch.backends.cudnn.allow_tf32 = args.tf32 == "on"
    torch.backends.cudnn.benchmark = True
    net = seeded_network() if args.weights == "seeded" else None
    if net is None:
        net = AHNet(spatial_dims=3, in_channels=1, out_channels=2, psp_block_num=0, upsample_mode="trilinear")
        net.load_state_dict(torch.load(args.weights, map_location="cpu"))
        net.eval()
    device = torch.device(args.device)
    net = net.to(device)
    x = torch.from_numpy(np.load(args.input).astype(np.float32)).to(device)

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize()

    with torch.no_grad():
        y = net(x)
        synchronize()
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            y = net(x)
            synchronize()
            times.append(time.perf_counter() - start)
    label = f"torch {args.device}" + (f" tf32 {args.tf32}" if device.type == "cuda" else f" {args.threads} threads")
    print(f"{label} forward seconds (batch {x.shape[0]}):", " ".join(f"{t:.4f}" for t in times),
          f"median {sorted(times)[len(times) // 2]:.4f}")
    if args.output:
        np.save(args.output, y.cpu().numpy())


if __name__ == "__main__":
    main()
