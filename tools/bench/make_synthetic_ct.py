#!/usr/bin/env python3
"""A synthetic chest-like CT for memory and time measurements of the pipeline (not committed).

    python3 tools/bench/make_synthetic_ct.py OUT.nii NX NY NZ SX SY SZ
    e.g. 512 512 600 0.7 0.7 0.8 (the memory check) or 512 512 300 0.7 0.7 1.0 (the GPU whole-CT run)

Air -1000 HU, an elliptic body cylinder of 40 HU, two ellipsoid lungs of -850 HU. int16, LPS.
"""
import sys

import nibabel as nib
import numpy as np


def main(path, nx, ny, nz, sx, sy, sz):
    x = (np.arange(nx) - nx / 2)[:, None, None] * sx
    y = (np.arange(ny) - ny / 2)[None, :, None] * sy
    z = (np.arange(nz) - nz / 2)[None, None, :] * sz
    volume = np.full((nx, ny, nz), -1000, np.int16)
    body = (x / 160.0) ** 2 + (y / 120.0) ** 2 <= 1
    volume[np.broadcast_to(body, volume.shape)] = 40
    for centre in (-77.0, 77.0):
        lung = ((x - centre) / 56.0) ** 2 + (y / 77.0) ** 2 + (z / (0.42 * nz * sz)) ** 2 <= 1
        volume[lung] = -850
    nib.save(nib.Nifti1Image(volume, np.diag([-sx, -sy, sz, 1.0])), path)


if __name__ == "__main__":
    a = sys.argv
    main(a[1], int(a[2]), int(a[3]), int(a[4]), float(a[5]), float(a[6]), float(a[7]))
