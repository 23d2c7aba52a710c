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
    return out_image, out_label, out_ignore, margin, lower


def smooth_noise(rng, shape, sigma):
    noise = rng.standard_normal(shape).astype(np.float32)
    noise = ndimage.gaussian_filter(noise, sigma)
    return noise / (noise.std() + 1e-6)


def ellipsoid(centre, radii, shape):
    """The box around an ellipsoid (1.6 radii, clipped to `shape`) and each box voxel's normalised
    distance from the centre (1 on the surface)."""
    lower = np.maximum(centre - np.ceil(radii * 1.6).astype(int), 0)
    upper = np.minimum(centre + np.ceil(radii * 1.6).astype(int) + 1, shape)
    box = tuple(slice(lo, hi) for lo, hi in zip(lower, upper))
    grids = np.meshgrid(*[np.arange(lo, hi) - c for lo, hi, c in zip(lower, upper, centre)], indexing="ij")
    return box, np.sqrt(sum((g / r) ** 2 for g, r in zip(grids, radii)))


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
        box, distance = ellipsoid(centre, radii, image.shape)
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


def lung_edge_points(image, label, avoid_diaphragm=False):
    """Lung voxels on the lung's in-plane edge with tissue (> -300 HU) within 2 voxels: where the
    lung meets the chest wall, the mediastinum or the diaphragm. `avoid_diaphragm` leaves out the
    points within a few voxels of the lung's lower surface (lung with tissue in the slice below;
    k grows upwards on these RAS grids): dense tissue against the base, labelled lung, would teach
    that the abdomen under the lung is lung."""
    lung = label.astype(bool)
    dense = image > -300
    edge = lung & ~ndimage.binary_erosion(lung, structure=np.ones((3, 3, 1), bool))
    tissue = ndimage.binary_dilation(dense, structure=np.ones((5, 5, 1), bool))
    points = edge & tissue
    if avoid_diaphragm and lung.shape[2] > 1 and lung.any():
        # The lung's floor: each column's lowest lung voxel with tissue under it, in the lower
        # 40 % of the lung's slices (higher up, a column's lowest lung voxel sits on the aortic
        # arch or the hilum, not on the diaphragm).
        has = lung.any(axis=2)
        lowest = np.argmax(lung, axis=2)
        slices = np.nonzero(lung.any(axis=(0, 1)))[0]
        limit = slices[0] + 0.4 * (slices[-1] - slices[0])
        i, j = np.nonzero(has & (lowest > 0) & (lowest <= limit))
        k = lowest[i, j]
        keep = dense[i, j, k - 1]
        base = np.zeros_like(lung)
        base[i[keep], j[keep], k[keep]] = True
        points &= ~ndimage.binary_dilation(base, structure=np.ones((9, 9, 3), bool))
    return np.argwhere(points)


def add_attached_masses(rng, image, label, count, spacing=common.SPACING, masses=None, avoid_diaphragm=False):
    """Dense masses (-30..+70 HU, textured, wobbly outline) centred on the lung's edge against the
    chest wall or the mediastinum, filling the lung they overlap; the label stays lung (a tumour at
    the pleura is lung tissue to a lung mask, as lungmask's R231 keeps it). `spacing` is the grid's
    (mm); `masses`, when given (uint8, the image's shape), receives the voxels each mass made mostly
    dense (the evaluation's mass mask, tools/train/masses.py)."""
    points = lung_edge_points(image, label, avoid_diaphragm)
    if len(points) == 0:
        return image
    sx, sy, sz = spacing
    for _ in range(count):
        centre = points[rng.integers(len(points))]
        radius_mm = rng.uniform(8, 35)
        radii = np.array([radius_mm * rng.uniform(0.7, 1.3) / sx, radius_mm * rng.uniform(0.7, 1.3) / sy,
                          max(radius_mm * rng.uniform(0.6, 1.2) / sz, 0.8)])
        box, distance = ellipsoid(centre, radii, image.shape)
        # The outline's wobble varies on the mass's own scale (a third of its radii): a lumpy but
        # solid mass on any grid. (A fixed 3-voxel scale made sponge-like fragments on 0.7-0.8 mm
        # grids, which look like consolidation, not a mass: version 2's masses until 2026-11-30.)
        wobble = 0.3 * smooth_noise(rng, distance.shape, tuple(max(r / 3, 1.0) for r in radii))
        alpha = np.clip((1.0 + wobble - distance) / 0.2, 0, 1) * label[box]
        texture = rng.uniform(-30, 70) + 30 * smooth_noise(rng, distance.shape, (1.5, 1.5, 0.5))
        image[box] = alpha * texture + (1 - alpha) * image[box]
        if masses is not None:
            masses[box] |= (alpha >= 0.5).astype(np.uint8)
    return image


def add_effusion(rng, image, label):
    """Pleural-effusion-like fluid (0..30 HU) in the dependent (posterior, low j) part of one lung,
    deepest at the base and thinning upwards, with a smooth meniscus; labelled not lung."""
    lung = label.astype(bool)
    if not lung.any():
        return image, label
    points = np.argwhere(lung)
    middle = np.median(points[:, 0])
    side = np.arange(image.shape[0]) < middle if rng.random() < 0.5 else np.arange(image.shape[0]) >= middle
    has = lung.any(axis=1)  # [i, k]
    first = np.argmax(lung, axis=1)  # the most posterior lung row of each (i, k) column
    slices = np.nonzero(has.any(axis=0))[0]
    bottom, top = slices[0], slices[-1]
    span = max(1.0, (top - bottom + 1) * rng.uniform(0.3, 0.8))
    depth_mm = rng.uniform(10, 50)
    taper = np.clip(1.0 - (np.arange(image.shape[2]) - bottom) / span, 0, 1)
    depth = depth_mm / common.SPACING[1] * taper[None, :] * (1 + 0.2 * smooth_noise(rng, has.shape, (8, 1)))
    rows = np.arange(image.shape[1])[None, :, None]
    fluid = lung & (rows < (first + depth)[:, None, :]) & has[:, None, :] & side[:, None, None]
    if not fluid.any():
        return image, label
    image = image.copy()
    image[fluid] = rng.uniform(0, 30) + 8 * rng.standard_normal(int(fluid.sum()))
    label = label.copy()
    label[fluid] = 0
    return image, label


def add_padding_circle(rng, image, label, lower, volume_shape):
    """The reconstruction circle: outside a circle inscribed in the scan's square field, the value
    scanners write there (-1024, -2048 or -3024 HU); nothing outside it is lung. Returns the image,
    the label and the outside (in-plane) mask."""
    radius = 0.5 * min(volume_shape[0], volume_shape[1]) * rng.uniform(0.92, 1.02)
    centre = [0.5 * (volume_shape[0] - 1) - lower[0], 0.5 * (volume_shape[1] - 1) - lower[1]]
    i = np.arange(image.shape[0])[:, None] - centre[0]
    j = np.arange(image.shape[1])[None, :] - centre[1]
    outside = (i ** 2 + j ** 2) > radius ** 2
    image = image.copy()
    image[outside] = rng.choice([-1024.0, -2048.0, -3024.0])
    label = label.copy()
    label[outside] = 0
    return image, label, outside


def add_table_and_arms(rng, image):
    """A flat or curved patient table below the body and arms beside it, drawn only into air."""
    body = image > -500
    if not body.any():
        return image
    image = image.copy()
    air = image < -800
    columns = np.nonzero(body.any(axis=(1, 2)))[0]
    rows = np.nonzero(body.any(axis=(0, 2)))[0]
    sx, sy = common.SPACING[0], common.SPACING[1]
    # Table: a slab (optionally hollow) some millimetres below the body's back.
    gap = int(rng.uniform(0, 20) / sy)
    thickness = int(rng.uniform(4, 30) / sy)
    top = rows[0] - gap
    i = np.arange(image.shape[0])[:, None]
    sag = rng.uniform(0, 25) / sy * ((i - image.shape[0] / 2) / (image.shape[0] / 2)) ** 2 if rng.random() < 0.5 else 0 * i
    j = np.arange(image.shape[1])[None, :]
    slab = (j < top + sag) & (j >= top + sag - thickness)
    value = rng.uniform(50, 400)
    table = np.where(slab, value, np.nan)
    if thickness > 8 and rng.random() < 0.5:
        shell = (j < top + sag - 2) & (j >= top + sag - thickness + 2)
        table = np.where(shell, -900.0, table)
    place = ~np.isnan(table)[:, :, None] & air
    image[place] = np.broadcast_to(table[:, :, None], image.shape)[place]
    # Arms: soft-tissue ellipses with a bone core, a little outside the body's sides.
    if rng.random() < 0.5:
        centre_j = 0.5 * (rows[0] + rows[-1]) + rng.uniform(-0.2, 0.2) * (rows[-1] - rows[0])
        for edge, direction in ((columns[0], -1), (columns[-1], 1)):
            radius_i, radius_j = rng.uniform(30, 50) / sx, rng.uniform(35, 60) / sy
            centre_i = edge + direction * (rng.uniform(3, 30) / sx + radius_i)
            d = ((np.arange(image.shape[0])[:, None] - centre_i) / radius_i) ** 2 + \
                ((np.arange(image.shape[1])[None, :] - centre_j) / radius_j) ** 2
            arm = np.where(d < 1, rng.uniform(20, 60), np.nan)
            arm = np.where(d < 0.06, rng.uniform(400, 900), arm)
            place = ~np.isnan(arm)[:, :, None] & air
            image[place] = np.broadcast_to(arm[:, :, None], image.shape)[place]
    return image


def scanner_texture(rng, hu):
    """Reconstruction kernels (sharp: unsharp masking; smooth: in-plane blur), thicker slices (blur
    along k: up to about 8 mm at 5 mm spacing) and noise up to 60 HU. hu: numpy [H, W, D]."""
    choice = rng.random()
    if choice < 0.25:
        hu = hu + rng.uniform(0.5, 1.5) * (hu - ndimage.gaussian_filter(hu, (1.0, 1.0, 0)))
    elif choice < 0.5:
        hu = ndimage.gaussian_filter(hu, (rng.uniform(0.4, 1.2),) * 2 + (0,))
    if rng.random() < 0.3:
        hu = ndimage.gaussian_filter1d(hu, rng.uniform(0.2, 0.7), axis=2)
    return hu + rng.uniform(0, 60) * rng.standard_normal(hu.shape).astype(np.float32)


def lower_resolution(image, factor):
    """A CT acquired or stored at `factor` times coarser in-plane spacing (area downsampling, then
    linear upsampling back to the model grid): real inputs range from 0.5 mm to 4+ mm."""
    _, h, w, d = image.shape
    small = F.interpolate(image[None], size=(max(2, int(h / factor)), max(2, int(w / factor)), d), mode="area")
    return F.interpolate(small, size=(h, w, d), mode="trilinear", align_corners=False)[0]


def to_tensors(rng, image, label, ignore, margin, size, lowres_probability=0.0, masses=None):
    """In-plane rotation, scale and left-right flip on the padded crop, centre cut, lower
    resolution (sometimes), intensity jitter. `masses` (uint8, the crop's shape), when given, is
    moved with the label and returned as a fourth value (bool: the voxels of synthetic masses)."""
    angle = math.radians(rng.uniform(-12, 12))
    scale = rng.uniform(0.85, 1.15)
    flip = -1.0 if rng.random() < 0.5 else 1.0
    big = image.shape
    # torch layout [N, C, D, H, W] for grid_sample: our (H, W, D) -> (D, W, H) ordering handled by permute.
    extra = masses if masses is not None else np.zeros_like(label)
    stack = np.stack([image, label.astype(np.float32), ignore.astype(np.float32), extra.astype(np.float32)])  # [4, H, W, D]
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
    hu = torch.from_numpy(scanner_texture(rng, hu[0].numpy()).astype(np.float32))[None]
    low, high = common.CLIP
    x = (hu.clamp(low, high) - low) / (high - low)
    label_out, ignore_out, masses_out = masks_out[0].round().to(torch.int64), masks_out[1] > 0.5, masks_out[2] > 0.5
    return (x, label_out, ignore_out) if masses is None else (x, label_out, ignore_out, masses_out)
