#!/usr/bin/env python3
"""Preprocess every case onto the model grid (RAS, 0.8 x 0.8 x 5 mm) and build lung labels.

Cases with a reference (CIP, TotalSegmentator) get it resampled (nearest); the others get the
classical label described in README.md:
  1. body: > -500 HU, largest 3D component, holes filled slice by slice;
  2. air inside the body: < -400 HU (table and outside air excluded by the body mask);
  3. trachea: followed down from the top slices as a small round air component near the body's
     midline; removed (with a 1-voxel margin) until it widens into the lungs;
  4. lungs: the largest one or two 3D air components (a second one only if >= 25 % of the first),
     chosen after one erosion so that thin contacts (stomach under the dome) do not join them;
  5. holes filled slice by slice (vessels, lesions surrounded by aerated lung), then a 3D
     closing with a small ball;
  6. the airways as lungseg's post-processing defines them (trachea and main bronchi with a 2 mm
     wall, `lungseg postprocess ... --airways`, see README.md) removed, when
     WORK/airways/NAME.nii.gz exists.
Writes WORK/cache/NAME.{image,label}.npy (image: HU float32; label: uint8) and QC pictures to
WORK/qc/NAME_label.png (coronal + 3 axial slices, label outline in green).

    python tools/train/labels.py [NAME ...]
"""
import os
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import qc  # noqa: E402


def largest_components(mask, count, minimum_fraction):
    labels, n = ndimage.label(mask)
    if n == 0:
        return np.zeros_like(mask, dtype=bool)
    sizes = ndimage.sum_labels(np.ones_like(labels), labels, index=np.arange(1, n + 1))
    order = np.argsort(sizes)[::-1]
    keep = [order[0] + 1] + [i + 1 for i in order[1:count] if sizes[i] >= minimum_fraction * sizes[order[0]]]
    return np.isin(labels, keep)


def fill_holes_per_slice(mask):
    out = np.zeros_like(mask, dtype=bool)
    for k in range(mask.shape[2]):
        out[:, :, k] = ndimage.binary_fill_holes(mask[:, :, k])
    return out


def body_mask(hu):
    body = largest_components(hu > -500, 1, 1.0)
    body = ndimage.binary_opening(body, structure=np.ones((5, 5, 1), bool))
    body = largest_components(body, 1, 1.0)
    return fill_holes_per_slice(body)


def trachea_mask(air, body):
    """Small round air components near the midline, followed from the top slice downward."""
    trachea = np.zeros_like(air, dtype=bool)
    nx = air.shape[0]
    previous = None
    pixel_area = common.SPACING[0] * common.SPACING[1]
    for k in range(air.shape[2] - 1, -1, -1):  # RAS: the last slice is the most superior
        labels, n = ndimage.label(air[:, :, k])
        if n == 0:
            if previous is not None:
                break
            continue
        xs = np.nonzero(body[:, :, k].any(axis=1))[0]
        if xs.size == 0:
            continue
        midline = 0.5 * (xs[0] + xs[-1])
        found = None
        for index, region in enumerate(ndimage.find_objects(labels), start=1):
            component = labels[region] == index
            area = component.sum() * pixel_area
            cx = (region[0].start + region[0].stop - 1) / 2
            near_midline = abs(cx - midline) * common.SPACING[0] < 30
            if previous is None:
                ok = 50 <= area <= 600 and near_midline
            else:
                ok = area <= 800 and (previous[region] & component).any()
            if ok:
                found = labels == index
                break
        if found is None:
            if previous is not None:
                break  # the trachea widened into the lungs (or ended): stop
            continue
        trachea[:, :, k] = found
        previous = found
    return ndimage.binary_dilation(trachea, structure=np.ones((3, 3, 1), bool))


def classical_label(hu, whole_field_body=False):
    body = np.ones(hu.shape, bool) if whole_field_body else body_mask(hu)
    air = (hu < -400) & body
    air = ndimage.binary_opening(air, structure=np.ones((2, 2, 1), bool))
    air &= ~trachea_mask(air, body)
    # Thin contacts (a stomach bubble under the diaphragm dome at 5 mm slices) are broken by one
    # erosion before choosing components; two dilations inside the air mask restore the rest.
    ball = ndimage.generate_binary_structure(3, 1)
    core = largest_components(ndimage.binary_erosion(air, structure=ball), 2, 0.25)
    lungs = ndimage.binary_dilation(core, structure=ball, iterations=2, mask=air)
    lungs = fill_holes_per_slice(lungs)
    lungs = ndimage.binary_closing(lungs, structure=np.ones((5, 5, 1), bool)) | lungs
    lungs = ndimage.binary_closing(lungs, structure=ball)
    return (lungs & body).astype(np.uint8)


# A crop inside the body (no outside air, lungs cut at the sides): the whole field is "body".
WHOLE_FIELD_BODY = {"ts_pulmonary_ct_cropped"}
# Diseased lungs: a threshold misses consolidation against the pleura, so what lies inside a
# lung's per-slice convex hull but outside the label is left out of the loss (label unknown).
UNCERTAIN_DENSE = {"covidctmd_cap001", "covidctmd_P001"}


def convex_hull_per_slice(mask):
    from PIL import Image, ImageDraw
    from scipy.spatial import ConvexHull, QhullError
    hull = np.zeros(mask.shape, bool)
    for k in range(mask.shape[2]):
        labels, n = ndimage.label(mask[:, :, k])
        for index in range(1, n + 1):
            points = np.argwhere(labels == index)
            if len(points) < 10:
                continue
            try:
                vertices = points[ConvexHull(points).vertices]
            except QhullError:
                continue
            canvas = Image.new("1", (mask.shape[0], mask.shape[1]), 0)
            ImageDraw.Draw(canvas).polygon([(int(v[0]), int(v[1])) for v in vertices], fill=1, outline=1)
            hull[:, :, k] |= np.asarray(canvas, dtype=bool).T
    return hull


def lungseg_airways(name, shape):
    """lungseg's airway mask of the case (input grid) on the model grid, or None when not made."""
    path = os.path.join(common.WORK, "airways", f"{name}.nii.gz")
    if not os.path.exists(path):
        return None
    data, spacing, _ = common.load_ras(path)
    return common.resample((data > 0).astype(np.float32), spacing, dims=shape, order=1) >= 0.25


def prepare(name):
    ct, reference, role = common.CASES[name]
    data, spacing, _ = common.load_ras(os.path.join(common.DATA, ct))
    hu = common.resample(data, spacing)
    if reference is not None:
        ref_data, ref_spacing, _ = common.load_ras(os.path.join(common.DATA, reference[0]))
        ref = common.reference_lung(ref_data, reference[1]).astype(np.float32)
        label = (common.resample(ref, ref_spacing, dims=hu.shape, order=1) >= 0.5).astype(np.uint8)
        classical = classical_label(hu)
        inter = (label & classical).sum()
        dice = 2 * inter / max(label.sum() + classical.sum(), 1)
        print(f"{name}: classical label vs reference Dice {dice:.4f} (model grid)")
    elif role in ("negative", "train-negative"):
        label = np.zeros(hu.shape, np.uint8)
    else:
        label = classical_label(hu, whole_field_body=name in WHOLE_FIELD_BODY)
        airways = lungseg_airways(name, hu.shape)
        if airways is not None:
            removed = int((label.astype(bool) & airways).sum())
            label[airways] = 0
            print(f"{name}: {removed * np.prod(common.SPACING) / 1000:.1f} mL of airway removed from the label")
    if name in UNCERTAIN_DENSE:
        ignore = convex_hull_per_slice(label) & ~label.astype(bool)
        np.save(common.cache_path(name, "ignore"), ignore.astype(np.uint8))
        print(f"{name}: {ignore.sum() * np.prod(common.SPACING) / 1000:.0f} mL left out of the loss (hull minus label)")
    np.save(common.cache_path(name, "image"), hu.astype(np.float32))
    np.save(common.cache_path(name, "label"), label)
    volume = label.sum() * np.prod(common.SPACING) / 1000
    print(f"{name}: {hu.shape}, lung {volume:.0f} mL")
    os.makedirs(os.path.join(common.WORK, "qc"), exist_ok=True)
    ignore_path = common.cache_path(name, "ignore")
    second = np.load(ignore_path) if os.path.exists(ignore_path) else None
    qc.save(os.path.join(common.WORK, "qc", f"{name}_label.png"), hu, label, title=name, second=second)


if __name__ == "__main__":
    for case in sys.argv[1:] or list(common.CASES):
        prepare(case)
