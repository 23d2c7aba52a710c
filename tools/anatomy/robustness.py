#!/usr/bin/env python3
"""The anatomical post-processing on the same CT framed or stored differently: every variant is
post-processed (`lungseg postprocess --split-lungs`) with the probability map transformed the same
way, and compared with the unchanged CT's mask on the voxels both cover.

    python tools/anatomy/robustness.py --lungseg .build/release/lungseg --work /tmp/anatomy \
        --out /tmp/robustness [--keep-inputs] [CASE ...] [--only PREFIX ...]

--work holds CASE_p.nii.gz, the probability maps tools/anatomy/evaluate.py saves. Variants:
- storage: LPS (i and j flipped), feet first (k flipped), all axes flipped, slices stored along x
  (axes permuted), uint16 with an intercept of -1024: the mask must be the same to the voxel;
- the reconstruction circle padded with -3024 / -2048 HU (the circle inscribed in the image);
- the patient off-centre (air added on two sides of the field of view);
- one side only: the image cut 4 voxels short of the body's middle column, on either side (one
  lung, which must be named by its own side: a field of view over one side of the chest);
- cranio-caudal crops: the lower 60 % of the lungs (no trachea), the upper 50 %;
- oblique affines: tilted 15 and 30 degrees about x, 25 about y, turned 20 about z;
- one lung (a pneumonectomy): the unchanged CT's right (or left) lung filled with fluid (20 HU)
  and taken out of the probability map; the other lung must come out as before, the trachea out;
- a collapsed lung: all of the right (left) lung but the 6 % nearest its hilum filled with fluid
  (an effusion), the rest kept: two lungs, the remnant on its side;
- a basal bulla: a ball of pure air (-1000 HU, noise 12 HU, probability 1) of radius 20 or 35 mm
  in the lowest sixth of the right (left) lung, centred where the lung is deepest, 4 mm clear of
  the lung's edge (pleura and diaphragm stay): lung, which must stay in the mask (it is not gas);
- an air-filled esophagus (radius 5 or 10 mm: air in a normal or a patulous esophagus, as in
  scleroderma, achalasia or a gastric pull-up) behind the unchanged CT's tracked trachea (4 mm of
  tissue between, 4 mm to the patient's left), from the top down to the carina, then straight on
  down to the lungs' lowest 15 %: the mask as before, the airways not the esophagus;
- an endotracheal tube (an intubated patient): a wall of +100 HU from 3.5 to 5 mm around the
  unchanged CT's tracked trachea's centre, from the top down to 40 or 15 mm above its carina (air
  inside the tube and around it): the mask as before;
- a hiatal hernia: a ball of gas (radius 30 mm, outside the lungs) at the body's middle in the
  posterior quarter of the lungs, a fifth of the way up them; with the probability map as it was,
  and set to 1 there (the network calling it lung): the mask as before;
- a breached chest wall: a channel of air 3 or 8 mm wide and 10 mm high from the image's side
  through the chest wall into the right lung at the lungs' middle height (an open drain tract, a
  wound): the lung must stay in the body, the mask as before;
- a tracheostomy: a tube (lumen 3.5 mm, wall to 5 mm at +100 HU) from the room air in front of the
  neck back into the tracked trachea over its top 10 mm, then down it to 40 mm above the carina;
- mediastinal and subcutaneous air (a ventilated patient's barotrauma): air in half of the soft
  tissue 2-6 mm around the tracked trachea (3 mm clear of the lungs) and in a third of the chest
  wall's fat within 20 mm of the skin (hundreds of mL: a severe case), with the probability map as
  it was and set to 1 on the added air;
- a pacemaker: a device of +3000 HU under the skin in front of the left lung's upper third with
  six dark streaks 2 mm wide through it across the slices it lies in (900 HU darker, floor -1024),
  which cross the chest wall into the lung: the mask as before.
Prints one line per variant: volumes, lungs, airways, the share of voxels equal to the unchanged
CT's mask, Dice per side against it, and the warnings. Needs numpy, scipy and nibabel.
"""
import argparse
import json
import os
import subprocess

import nibabel as nib
import numpy as np
from scipy import ndimage

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")
CASES = ["cip_ct64", "itk_chest00", "covidctmd_P001", "lungdx_A0002", "lungdx_A0001", "covidctmd_normal001",
         "pyrad_lung1_2x", "covidctmd_cap001"]


def canonical(path):
    image = nib.as_closest_canonical(nib.load(path))
    return np.asarray(image.dataobj), image.affine


def flipped(array, affine, axes):
    affine = affine.copy()
    for axis in axes:
        flip = np.eye(4)
        flip[axis, axis], flip[axis, 3] = -1, array.shape[axis] - 1
        affine = affine @ flip
        array = np.flip(array, axis)
    return array, affine


def shifted(affine, i=0, k=0):
    return affine @ np.array([[1, 0, 0, i], [0, 1, 0, 0], [0, 0, 1, k], [0, 0, 0, 1]], dtype=float)


def rotation(axis, degrees):
    t = np.radians(degrees)
    r = np.eye(4)
    a, b = [x for x in range(3) if x != axis]
    r[a, a], r[a, b], r[b, a], r[b, b] = np.cos(t), -np.sin(t), np.sin(t), np.cos(t)
    return r


class Runner:
    def __init__(self, lungseg, out, case, only=(), keep_inputs=False):
        self.lungseg, self.out, self.case, self.only, self.keep_inputs = lungseg, out, case, only, keep_inputs
        self.base = None
        self.base_airways = None

    def run(self, name, ct, affine, probability, dtype=np.int16, intercept=0.0):
        if self.only and name != "unchanged" and not name.startswith(self.only):
            return None, None
        stem = os.path.join(self.out, f"{self.case}_{name}")
        image = nib.Nifti1Image(ct.astype(dtype), affine)
        image.header.set_slope_inter(1.0, intercept)
        nib.save(image, stem + "_ct.nii.gz")
        nib.save(nib.Nifti1Image(probability.astype(np.float32), affine), stem + "_p.nii.gz")
        done = subprocess.run([self.lungseg, "postprocess", stem + "_ct.nii.gz", "--probabilities", stem + "_p.nii.gz", "-o",
                               stem + "_m.nii.gz", "--report", stem + ".json", "--qc", stem + ".png", "--airways", stem + "_aw.nii.gz",
                               "--split-lungs"],
                              capture_output=True, text=True)
        if done.returncode:
            print(f"{self.case} {name}: FAILED {done.stderr.strip()[-300:]}", flush=True)
            return None, None
        if not self.keep_inputs:  # a sweep's variant CTs and maps take gigabytes
            os.remove(stem + "_ct.nii.gz")
            os.remove(stem + "_p.nii.gz")
        if self.base_airways is None:
            self.base_airways = np.asarray(nib.load(stem + "_aw.nii.gz").dataobj) > 0
        with open(stem + ".json") as handle:
            return np.asarray(nib.load(stem + "_m.nii.gz").dataobj), json.load(handle)

    def compare(self, name, mask, report, back=lambda m: m, region=(slice(None),) * 3):
        if mask is None:
            return
        lungs = report["lungs"]
        line = f"{self.case} {name}: right {lungs['rightML']:.1f} left {lungs['leftML']:.1f} lungs {lungs['lungCount']} airways {lungs['airwaysML']:.1f}"
        if self.base is None:
            self.base = mask
        else:
            ours, theirs = back(mask), self.base[region]
            dice = []
            for label in (1, 2):
                a, b = ours == label, theirs == label
                dice.append(2 * (a & b).sum() / max(1, a.sum() + b.sum()))
            line += f" | equal {np.mean(ours == theirs):.5f} Dice right {dice[0]:.4f} left {dice[1]:.4f}"
        print(line + " | " + ("; ".join(report["warnings"]) or "-"), flush=True)


def sweep(runner, ct, affine, probability):
    nx, ny, nz = ct.shape
    runner.compare("unchanged", *runner.run("unchanged", ct, affine, probability))
    for name, axes in [("LPS", (0, 1)), ("feet first", (2,)), ("all axes flipped", (0, 1, 2))]:
        c, a = flipped(ct, affine, axes)
        p, _ = flipped(probability, affine, axes)
        runner.compare(name, *runner.run(name.replace(" ", "_"), c, a, p), back=lambda m, axes=axes: np.flip(m, axes))
    order = (2, 0, 1)
    permutation = np.zeros((4, 4))
    permutation[3, 3] = 1
    for new, old in enumerate(order):
        permutation[old, new] = 1
    runner.compare("stored along x", *runner.run("along_x", ct.transpose(order), affine @ permutation, probability.transpose(order)),
                   back=lambda m: m.transpose(np.argsort(order)))
    runner.compare("uint16, intercept -1024", *runner.run("uint16", (ct.astype(np.int32) + 1024).clip(0, 65535), affine, probability,
                                                          np.uint16, -1024.0))
    rows, columns = np.mgrid[0:nx, 0:ny]
    outside = ((columns - (ny - 1) / 2) ** 2 + (rows - (nx - 1) / 2) ** 2) > (min(nx, ny) / 2) ** 2
    for padding in (-3024, -2048):
        c = ct.copy()
        c[outside] = padding
        runner.compare(f"circle padded {padding}", *runner.run(f"circle{-padding}", c, affine, probability))
    extra = nx // 3
    c = np.full((nx + extra, ny + extra, nz), -1024, np.int16)
    c[:nx, :ny] = ct
    p = np.zeros(c.shape, np.float32)
    p[:nx, :ny] = probability
    runner.compare("off-centre", *runner.run("offcentre", c, affine, p), back=lambda m: m[:nx, :ny])
    columns_with_body = np.nonzero((ct > -500).any((1, 2)))[0]
    middle = (columns_with_body[0] + columns_with_body[-1]) // 2
    for name, cut in [("patient's left only", slice(0, middle - 4)), ("patient's right only", slice(middle + 4, nx))]:
        runner.compare(name, *runner.run(name.replace(" ", "_").replace("'", ""), ct[cut], shifted(affine, i=cut.start), probability[cut]),
                       region=(cut, slice(None), slice(None)))
    lung_slices = np.nonzero((runner.base > 0).any((0, 1)))[0]
    low, high = lung_slices[0], lung_slices[-1]
    for name, cut in [("lower 60 %", slice(0, low + int(0.6 * (high - low)))), ("upper 50 %", slice(low + int(0.5 * (high - low)), nz))]:
        runner.compare(name, *runner.run(name.split()[0], ct[:, :, cut], shifted(affine, k=cut.start), probability[:, :, cut]),
                       region=(slice(None), slice(None), cut))
    for name, turn in [("tilted 15 about x", rotation(0, 15)), ("tilted 30 about x", rotation(0, 30)),
                       ("tilted 25 about y", rotation(1, 25)), ("turned 20 about z", rotation(2, 20))]:
        runner.compare(name, *runner.run(name.split()[0] + name.split()[1], ct, turn @ affine, probability))


def one_lung(runner, ct, affine, probability, side, keep):
    """The unchanged CT's lung `side` (1 right, 2 left) filled with fluid except the `keep` share
    of its voxels nearest its medial middle (the hilum)."""
    lung = runner.base == side
    i, j, k = np.nonzero(lung)
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(0))
    toward_right = affine[0, 0] > 0
    medial_i = np.percentile(i, 15 if (side == 1) == toward_right else 85)
    distance = np.sqrt((((np.stack([i, j, k], 1) - [medial_i, j.mean(), k.mean()]) * spacing) ** 2).sum(1))
    gone = distance > (np.quantile(distance, keep) if keep > 0 else -1)
    c, p = ct.copy(), probability.copy()
    c[i[gone], j[gone], k[gone]] = 20
    p[i[gone], j[gone], k[gone]] = 0
    name = ("right" if side == 1 else "left") + (" lung removed" if keep == 0 else f" lung collapsed to {keep:.0%}")
    runner.compare(name, *runner.run(name.replace(" ", "_").replace("%", ""), c, affine, p))


def basal_bulla(runner, ct, affine, probability, side, radius_mm, random):
    """A bulla in the lowest sixth of the unchanged CT's lung `side` (1 right, 2 left)."""
    lung = runner.base == side
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(0))
    k = np.nonzero(lung.any((0, 1)))[0]
    superior_up = affine[2, 2] > 0
    sixth = (k[-1] - k[0]) / 6
    slices = np.arange(ct.shape[2])
    lowest = slices <= k[0] + sixth if superior_up else slices >= k[-1] - sixth
    depth = ndimage.distance_transform_edt(lung, sampling=spacing)
    centre = np.unravel_index(np.argmax(np.where(lowest[None, None, :], depth, 0)), depth.shape)
    i, j, kk = np.ogrid[:ct.shape[0], :ct.shape[1], :ct.shape[2]]
    offsets = [(axis - centre[n]) * spacing[n] for n, axis in enumerate((i, j, kk))]
    ball = (offsets[0] ** 2 + offsets[1] ** 2 + offsets[2] ** 2 <= radius_mm ** 2) & (depth > 4)
    c, p = ct.copy(), probability.copy()
    c[ball] = np.round(-1000 + random.normal(0, 12, ball.sum()))
    p[ball] = 1
    name = f"{'right' if side == 1 else 'left'} basal bulla {ball.sum() * spacing.prod() / 1000:.0f} mL"
    runner.compare(name, *runner.run(f"{'right' if side == 1 else 'left'}_bulla_{radius_mm}", c, affine, p))


def esophagus(runner, ct, affine, probability, radius_mm, random):
    """Air in the esophagus behind the unchanged CT's trachea (see the module's docstring)."""
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(0))
    superior_up = affine[2, 2] > 0
    lung = np.nonzero((runner.base > 0).any((0, 1)))[0]
    lowest = lung[0] + 0.15 * (lung[-1] - lung[0]) if superior_up else lung[-1] - 0.15 * (lung[-1] - lung[0])
    left = -1 if affine[0, 0] > 0 else 1  # the voxel step toward the patient's left
    posterior = -1 if affine[1, 1] > 0 else 1
    i, j = np.ogrid[:ct.shape[0], :ct.shape[1]]
    c, added, centre, below_carina = ct.copy(), 0, None, False
    for k in (range(ct.shape[2] - 1, -1, -1) if superior_up else range(ct.shape[2])):
        if (k < lowest) if superior_up else (k > lowest):
            break
        pieces = ndimage.label(runner.base_airways[:, :, k])[1]
        below_carina |= centre is not None and pieces > 1
        if pieces == 1 and not below_carina:
            airway = np.argwhere(runner.base_airways[:, :, k])
            back = airway[:, 1].min() if posterior < 0 else airway[:, 1].max()
            centre = (airway[:, 0].mean() + left * 4 / spacing[0], back + posterior * (4 + radius_mm) / spacing[1])
        if centre is None:
            continue
        disc = ((i - centre[0]) * spacing[0]) ** 2 + ((j - centre[1]) * spacing[1]) ** 2 <= radius_mm ** 2
        c[:, :, k][disc] = np.round(-1000 + random.normal(0, 12, disc.sum()))
        added += disc.sum()
    name = f"esophagus of {2 * radius_mm} mm, {added * spacing.prod() / 1000:.0f} mL of air"
    runner.compare(name, *runner.run(f"esophagus{radius_mm}", c, affine, probability))


def tube_in_trachea(ct, affine, airways, tip_mm, stoma_mm=0):
    """The CT with a tube (wall from 3.5 to 5 mm at +100 HU) around the centre of the tracked
    trachea `airways` down to `tip_mm` above its carina (air inside it and around it). With
    `stoma_mm`, over the trachea's top `stoma_mm` the tube's limb runs from the room air in front
    of the neck straight back into it (a tracheostomy). None without a carina."""
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(0))
    order = list(range(ct.shape[2] - 1, -1, -1) if affine[2, 2] > 0 else range(ct.shape[2]))
    carina = next((k for k in order if airways[:, :, k].sum() > 20 and ndimage.label(airways[:, :, k])[1] > 1), None)
    if carina is None:
        return None
    top = next(k for k in order if airways[:, :, k].any())
    anterior = 1 if affine[1, 1] > 0 else -1
    i, j = np.ogrid[:ct.shape[0], :ct.shape[1]]
    c = ct.copy()
    for k in order:
        if abs(k - carina) * spacing[2] < tip_mm:
            break
        lumen = np.argwhere(airways[:, :, k])
        if len(lumen) == 0:
            continue
        centre = lumen.mean(0)
        distance = ((i - centre[0]) * spacing[0]) ** 2 + ((j - centre[1]) * spacing[1]) ** 2
        c[:, :, k][(distance <= 5.0 ** 2) & (distance > 3.5 ** 2)] = 100
        if abs(k - top) * spacing[2] < stoma_mm:
            across = np.abs(i - centre[0]) * spacing[0]
            forward = (j - centre[1]) * anterior >= 0
            c[:, :, k][forward & (across <= 5.0) & (across > 3.5)] = 100
            c[:, :, k][forward & (across <= 3.5)] = -1000
    return c


def endotracheal_tube(runner, ct, affine, probability, tip_mm):
    """A tube in the unchanged CT's tracked trachea, ending `tip_mm` above its carina."""
    c = tube_in_trachea(ct, affine, runner.base_airways, tip_mm)
    if c is not None:
        runner.compare(f"endotracheal tube, tip {tip_mm} mm above the carina", *runner.run(f"tube{tip_mm}", c, affine, probability))


def tracheostomy(runner, ct, affine, probability):
    """A tracheostomy: the tube of `tube_in_trachea` entering through the front of the neck over
    the tracked trachea's top 10 mm, ending 40 mm above the carina."""
    c = tube_in_trachea(ct, affine, runner.base_airways, 40, stoma_mm=10)
    if c is not None:
        runner.compare("tracheostomy", *runner.run("tracheostomy", c, affine, probability))


def hiatal_hernia(runner, ct, affine, probability, random):
    """Gas behind the heart between the lungs' bases (see the module's docstring)."""
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(0))
    lung = runner.base > 0
    k = np.nonzero(lung.any((0, 1)))[0]
    centre_k = int(k[0] + 0.2 * (k[-1] - k[0])) if affine[2, 2] > 0 else int(k[-1] - 0.2 * (k[-1] - k[0]))
    columns = np.nonzero((ct[:, :, centre_k] > -500).any(1))[0]
    rows = np.nonzero(lung[:, :, centre_k].any(0))[0]
    posterior_quarter = rows[0] + 0.25 * (rows[-1] - rows[0]) if affine[1, 1] > 0 else rows[-1] - 0.25 * (rows[-1] - rows[0])
    centre = ((columns[0] + columns[-1]) / 2, posterior_quarter, centre_k)
    i, j, kk = np.ogrid[:ct.shape[0], :ct.shape[1], :ct.shape[2]]
    offsets = [(axis - centre[n]) * spacing[n] for n, axis in enumerate((i, j, kk))]
    ball = (offsets[0] ** 2 + offsets[1] ** 2 + offsets[2] ** 2 <= 30 ** 2) & ~lung
    air_as_it_was_and_as_lung(runner, f"hiatal hernia {ball.sum() * spacing.prod() / 1000:.0f} mL", "hernia", ct, affine, probability,
                              ball, random)


def air_as_it_was_and_as_lung(runner, name, stem, ct, affine, probability, added, random):
    """Pure air (-1000 HU, noise 12 HU) on `added`, run with the probability map as it was, then
    set to 1 there (the network calling the air lung)."""
    c = ct.copy()
    c[added] = np.round(-1000 + random.normal(0, 12, added.sum()))
    runner.compare(name, *runner.run(stem, c, affine, probability))
    p = probability.copy()
    p[added] = 1
    runner.compare(f"{name}, network says lung", *runner.run(stem + "_lung", c, affine, p))


def wall_breach(runner, ct, affine, probability, width_mm, random):
    """A channel of air `width_mm` wide and 10 mm high from the room air at the image's border
    through the chest wall into the right lung at the lungs' middle height: an open drain tract,
    a wound, subcutaneous air reaching the skin. The lung must stay in the mask."""
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(0))
    lung = runner.base == 1
    k = np.nonzero(lung.any((0, 1)))[0]
    middle = (k[0] + k[-1]) // 2
    rows = np.nonzero(lung[:, :, middle].any(0))[0]
    row = (rows[0] + rows[-1]) // 2
    columns = np.nonzero(lung[:, row, middle])[0]
    if len(columns) == 0:
        return
    toward_right = affine[0, 0] > 0
    half_j = max(0, int(round(width_mm / 2 / spacing[1] - 0.5)))
    half_k = max(0, int(round(5 / spacing[2] - 0.5)))
    cut = (slice(columns[-1] - 2, ct.shape[0]) if toward_right else slice(0, columns[0] + 3),
           slice(row - half_j, row + half_j + 1), slice(middle - half_k, middle + half_k + 1))
    c = ct.copy()
    c[cut] = np.round(-1000 + random.normal(0, 12, c[cut].shape))
    name = f"chest wall breached by {width_mm} mm of air into the right lung"
    runner.compare(name, *runner.run(f"breach{width_mm}", c, affine, probability))


def mediastinal_air(runner, ct, affine, probability, random):
    """Pneumomediastinum and subcutaneous emphysema (ventilated COVID-19 patients): air in half of
    the soft tissue 2-6 mm around the unchanged CT's tracked trachea (but 3 mm clear of the lungs)
    and in a third of the fat (-150..-30 HU) of the chest wall within 20 mm of the skin; with the
    probability map as it was, and set to 1 on the added air (the network calling it lung)."""
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(0))
    lung = runner.base > 0
    body = ndimage.binary_fill_holes(ct > -500, structure=np.ones((3, 3, 1)))
    near_trachea = ndimage.distance_transform_edt(~runner.base_airways, sampling=spacing)
    near_lung = ndimage.distance_transform_edt(~lung, sampling=spacing)
    depth = ndimage.distance_transform_edt(body, sampling=spacing)
    lung_slices = np.nonzero(lung.any((0, 1)))[0]
    in_lungs = np.zeros(ct.shape[2], bool)
    in_lungs[lung_slices[0]:lung_slices[-1] + 1] = True
    streaks = ndimage.gaussian_filter(random.normal(0, 1, ct.shape), 1.5 / spacing)
    soft = (ct > -500) & ~lung & (near_lung > 3)
    around = soft & (near_trachea > 2) & (near_trachea <= 6) & (streaks > 0)
    fat = (ct > -150) & (ct < -30) & (depth <= 20) & (near_lung > 10) & in_lungs[None, None, :] & (streaks > np.quantile(streaks, 0.67))
    volume = f"{around.sum() * spacing.prod() / 1000:.0f} + {fat.sum() * spacing.prod() / 1000:.0f} mL"
    air_as_it_was_and_as_lung(runner, f"mediastinal and subcutaneous air {volume}", "emphysema", ct, affine, probability,
                              around | fat, random)


def metal_streaks(runner, ct, affine, probability):
    """A pacemaker: a device of +3000 HU (40 x 10 mm) under the skin in front of the left lung's
    upper third, over 10 mm of slices, with the dark streaks its metal casts: six lines 2 mm wide
    through it across the whole slice (every 30 degrees), 900 HU darker (not below -1024), which
    cross the chest wall into the lung as a narrow channel of air would."""
    spacing = np.sqrt((affine[:3, :3] ** 2).sum(0))
    lung = runner.base == 2
    k = np.nonzero(lung.any((0, 1)))[0]
    if len(k) == 0:
        return
    level = int(k[0] + 0.7 * (k[-1] - k[0])) if affine[2, 2] > 0 else int(k[-1] - 0.7 * (k[-1] - k[0]))
    anterior = 1 if affine[1, 1] > 0 else -1
    points = np.argwhere(lung[:, :, level])
    front = points[np.argmax(points[:, 1] * anterior)]
    column = ct[front[0], :, level] > -500
    rows = np.nonzero(column)[0]
    skin = rows.max() if anterior > 0 else rows.min()
    centre = (front[0], skin - anterior * 10 / spacing[1])
    i, j = np.ogrid[:ct.shape[0], :ct.shape[1]]
    x, y = (i - centre[0]) * spacing[0], (j - centre[1]) * spacing[1]
    device = (x / 20) ** 2 + (y / 5) ** 2 <= 1
    streaks = np.zeros(ct.shape[:2], bool)
    for degrees in range(0, 180, 30):
        t = np.radians(degrees)
        streaks |= np.abs(x * np.sin(t) - y * np.cos(t)) <= 1.0
    c = ct.copy()
    half = max(0, int(round(5 / spacing[2])))
    for kk in range(max(0, level - half), min(ct.shape[2], level + half + 1)):
        plane = c[:, :, kk].astype(np.int32)
        plane[streaks] = np.maximum(plane[streaks] - 900, -1024)
        plane[device] = 3000
        c[:, :, kk] = plane
    runner.compare("pacemaker with metal streaks", *runner.run("metal", c, affine, probability))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lungseg", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", nargs="*", default=[], help="run only the variants whose file names start so (e.g. esophagus)")
    parser.add_argument("--keep-inputs", action="store_true", help="keep each variant's CT and probability map")
    parser.add_argument("cases", nargs="*", default=CASES)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for case in args.cases:
        ct, affine = canonical(os.path.join(DATA, case + ".nii.gz"))
        probability, _ = canonical(os.path.join(args.work, case + "_p.nii.gz"))
        runner = Runner(args.lungseg, args.out, case, tuple(args.only), args.keep_inputs)
        sweep(runner, ct, affine, probability.astype(np.float32))
        for side in (1, 2):
            for keep in (0.0, 0.06):
                one_lung(runner, ct, affine, probability.astype(np.float32), side, keep)
        random = np.random.default_rng(1)
        for side in (1, 2):
            for radius in (20, 35):
                basal_bulla(runner, ct, affine, probability.astype(np.float32), side, radius, random)
        for radius in (5, 10):
            esophagus(runner, ct, affine, probability.astype(np.float32), radius, random)
        for tip in (40, 15):
            endotracheal_tube(runner, ct, affine, probability.astype(np.float32), tip)
        hiatal_hernia(runner, ct, affine, probability.astype(np.float32), random)
        for width in (3, 8):
            wall_breach(runner, ct, affine, probability.astype(np.float32), width, random)
        tracheostomy(runner, ct, affine, probability.astype(np.float32))
        mediastinal_air(runner, ct, affine, probability.astype(np.float32), random)
        metal_streaks(runner, ct, affine, probability.astype(np.float32))


if __name__ == "__main__":
    main()
