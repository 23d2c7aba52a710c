#!/usr/bin/env python3
"""PyTorch + MONAI sliding-window inference of AH-Net on a whole CT, for side-by-side timing with
`lungseg segment` on the same file. Not run by CI.

    /work/venv/bin/python tools/bench/torch_volume.py --input ct.nii.gz --threads 2

The CT is taken as it is on the model grid (make it at 0.8 x 0.8 x 5 mm, e.g. with
make_synthetic_ct.py 438 438 60 0.8 0.8 5): clip to [-1500, 500] HU, scale to [0, 1],
`sliding_window_inference` with 224x224x32 windows, overlap 0.25, gaussian blending, one window per
forward, argmax. Seeded weights (the timing does not depend on the values). Prints the windows,
the seconds of the inference and of the whole script, and the peak resident memory.
"""
import argparse
import resource
import time

start_all = time.perf_counter()

import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from monai.inferers import sliding_window_inference  # noqa: E402

from torch_forward import seeded_network  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--overlap", type=float, default=0.25)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    net = seeded_network()
    volume = np.asarray(nib.load(args.input).dataobj, dtype=np.float32)
    volume = (np.clip(volume, -1500, 500) + 1500) / 2000
    x = torch.from_numpy(volume)[None, None]
    roi = (224, 224, 32)
    windows = 1
    for size, window in zip(volume.shape, roi):
        step = max(int(window * (1 - args.overlap)), 1)
        windows *= max(-(-(max(size, window) - window) // step), 0) + 1
    with torch.no_grad():
        start = time.perf_counter()
        logits = sliding_window_inference(x, roi, 1, net, overlap=args.overlap, mode="gaussian")
        mask = logits.argmax(1)
        seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(f"torch cpu {args.threads} threads: {tuple(volume.shape)} voxels, {windows} windows, "
          f"inference {seconds:.1f} s, whole script {time.perf_counter() - start_all:.1f} s, "
          f"peak RSS {peak_gb:.2f} GB, lung voxels {int(mask.sum())}")


if __name__ == "__main__":
    main()
