"""Crops, synthetic lesions and augmentation for training (numpy + torch, HU in, [0, 1] out)."""
import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

import common


def random_crop(rng, image, label, ignore, size, foreground_probability=0.7):
    """A crop of `size` (H, W, D) plus a margin for rotation; padded with -1500 HU outside the volume
    (what MONAI's sliding window pads the scaled input with: 0 = -1500 HU)."""
    margin = [int(math.ceil(s * 0.25)) if axis < 2 else 0 for axis, s in enumerate(size)]
    big = [s + 2 * m for s, m in zip(size, margin)]
    if rng.random() < foreground_probability and label.any():
        points = np.argwhere(label[::4, ::4, :]) * np.array([4, 4, 1])
        centre = points[rng.integers(len(points))]
    else:
        centre = np.array([rng.integers(n) for n in image.shape])
    lower = [int(c) - b // 2 + int(rng.integers(-b // 4, b // 4 + 1)) for c, b in zip(centre, big)]
    out_image = np.full(big, common.CLIP[0], np.float32)
    out_label = np.zeros(big, np.uint8)
    out_ignore = np.zeros(big, np.uint8)
    source = tuple(slice(max(lo, 0), min(lo + b, n)) for lo, b, n in zip(lower, big, image.shape))
    target = tuple(slice(s.start - lo, s.stop - lo) for s, lo in zip(source, lower))
    out_image[target] = image[source]
    out_label[target] = label[source]
    if ignore is not None:
        out_ignore[target] = ignore[source]
    return out_image, out_label, out_ignore, margin


def smooth_noise(rng, shape, sigma):
    noise = rng.standard_normal(shape).astype(np.float32)
    noise = ndimage.gaussian_filter(noise, sigma)
    return noise / (noise.std() + 1e-6)


def add_lesions(rng, image, label, count):
    """Ground-glass (-700..-300 HU) or consolidation (-100..+60 HU) blobs inside the lung label,
    textured; the label stays lung. Ground glass keeps brighter vessels (maximum); consolidation
    replaces the lung (blend)."""
    points = np.argwhere(label)
    if len(points) == 0:
        return image
    sx, sy, sz = common.SPACING
    for _ in range(count):
        centre = points[rng.integers(len(points))]
        radius_mm = rng.uniform(6, 35)
        radii = np.array([radius_mm / sx, radius_mm * rng.uniform(0.6, 1.4) / sy,
                          max(radius_mm * rng.uniform(0.5, 1.2) / sz, 0.8)])
        lower = np.maximum(centre - np.ceil(radii * 1.6).astype(int), 0)
        upper = np.minimum(centre + np.ceil(radii * 1.6).astype(int) + 1, image.shape)
        box = tuple(slice(lo, hi) for lo, hi in zip(lower, upper))
        grids = np.meshgrid(*[np.arange(lo, hi) - c for lo, hi, c in zip(lower, upper, centre)], indexing="ij")
        distance = np.sqrt(sum((g / r) ** 2 for g, r in zip(grids, radii)))
        shape = distance.shape
        wobble = 0.35 * smooth_noise(rng, shape, (3, 3, 1))
        alpha = np.clip((1.0 + wobble - distance) / 0.3, 0, 1) * label[box]
        if rng.random() < 0.5:
            base = rng.uniform(-700, -300)
            texture = base + 80 * smooth_noise(rng, shape, (1.5, 1.5, 0.5))
            lesion = np.maximum(image[box], texture)
        else:
            base = rng.uniform(-100, 60)
            texture = base + 40 * smooth_noise(rng, shape, (1.5, 1.5, 0.5))
            lesion = texture
        image[box] = alpha * lesion + (1 - alpha) * image[box]
    return image


def lower_resolution(image, factor):
    """A CT acquired or stored at `factor` times coarser in-plane spacing (area downsampling, then
    linear upsampling back to the model grid): real inputs range from 0.5 mm to 4+ mm."""
    _, h, w, d = image.shape
    small = F.interpolate(image[None], size=(max(2, int(h / factor)), max(2, int(w / factor)), d), mode="area")
    return F.interpolate(small, size=(h, w, d), mode="trilinear", align_corners=False)[0]


def to_tensors(rng, image, label, ignore, margin, size, lowres_probability=0.0):
    """In-plane rotation, scale and left-right flip on the padded crop, centre cut, lower
    resolution (sometimes), intensity jitter."""
    angle = math.radians(rng.uniform(-12, 12))
    scale = rng.uniform(0.85, 1.15)
    flip = -1.0 if rng.random() < 0.5 else 1.0
    big = image.shape
    # torch layout [N, C, D, H, W] for grid_sample: our (H, W, D) -> (D, W, H) ordering handled by permute.
    stack = np.stack([image, label.astype(np.float32), ignore.astype(np.float32)])  # [3, H, W, D]
    volume = torch.from_numpy(stack).permute(0, 3, 2, 1).unsqueeze(0)  # [1, 3, D, W, H]
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    # Output grid covers the centre `size` of the padded crop (normalised coordinates).
    fx, fy = size[0] / big[0], size[1] / big[1]
    theta = torch.tensor([[[flip * cos * fx, -sin * fy, 0, 0],
                           [sin * fx * flip, cos * fy, 0, 0],
                           [0, 0, 1, 0]]], dtype=torch.float32)
    grid = F.affine_grid(theta, (1, 3, size[2], size[1], size[0]), align_corners=False)
    image_out = F.grid_sample(volume[:, :1], grid, mode="bilinear", padding_mode="border", align_corners=False)
    masks_out = F.grid_sample(volume[:, 1:], grid, mode="nearest", padding_mode="zeros", align_corners=False)
    image_out = image_out[0].permute(0, 3, 2, 1)  # [1, H, W, D]
    masks_out = masks_out[0].permute(0, 3, 2, 1)
    if rng.random() < lowres_probability:
        image_out = lower_resolution(image_out, rng.uniform(1.5, 6.0))
    hu = image_out * rng.uniform(0.95, 1.05) + rng.uniform(-40, 40)
    hu = hu + rng.uniform(0, 20) * torch.randn_like(hu)
    low, high = common.CLIP
    x = (hu.clamp(low, high) - low) / (high - low)
    return x, masks_out[0].round().to(torch.int64), masks_out[1] > 0.5
