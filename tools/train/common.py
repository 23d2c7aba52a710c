"""Shared by the training tools: the case list, and the preprocessing that mirrors lungseg's
pipeline (orientation to RAS by permutes and flips, linear resampling where target index j samples
source index j * new_spacing / spacing, clip to [-1500, 500] HU, scale to [0, 1])."""
import json
import os

import nibabel as nib
import numpy as np
from scipy.ndimage import map_coordinates

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("LUNGSEG_DATA", os.path.join(REPO, "..", "shared", "data"))
WORK = os.environ.get("LUNGSEG_TRAIN_WORK", "/work/train")

SPACING = (0.8, 0.8, 5.0)
CLIP = (-1500.0, 500.0)
WINDOW = (224, 224, 32)

# name: (CT file, reference or None, role). Roles: "train" (classical labels unless a reference
# is given), "train-negative" (no lung; trained on as all background: abdominal gas), "holdout"
# (never seen in training: evaluated against its reference, or against its reviewed classical label
# when it has none), "negative" (no lung; held out: evaluated for false lung volume).
# ts_example_ct_sm is a crop of ts_example_ct_abdpelvis (the same patient): both are held out.
CASES = {
    "covidctmd_cap001": ("covidctmd_cap001.nii.gz", None, "train"),
    "covidctmd_P001": ("covidctmd_P001.nii.gz", None, "train"),
    "covidctmd_normal001": ("covidctmd_normal001.nii.gz", None, "train"),
    "pyrad_lung1_2x": ("pyrad_lung1_2x.nii.gz", None, "train"),
    "ts_pulmonary_ct_cropped": ("ts_pulmonary_ct_cropped.nii.gz", None, "train"),
    "itk_chest00": ("itk_chest00.nii.gz", None, "train"),
    "ts_upper_abdomen_negative": ("ts_upper_abdomen_negative.nii.gz", None, "train-negative"),
    "cip_ct64": ("cip_ct64.nii.gz", ("cip_ct64_cip_labelmap.nii.gz", "cip"), "holdout"),
    "cip_crop_ct_2slices": ("cip_crop_ct_2slices.nii.gz", ("cip_crop_ct_2slices_cip_labelmap.nii.gz", "cip"), "holdout"),
    "lungdx_A0001": ("lungdx_A0001.nii.gz", None, "holdout"),
    "lungdx_A0002": ("lungdx_A0002.nii.gz", None, "holdout"),
    "ts_example_ct_sm": ("ts_example_ct_sm.nii.gz", ("ts_example_ct_sm_seg_total.nii.gz", "totalseg"), "holdout"),
    "ts_example_ct_abdpelvis": ("ts_example_ct_abdpelvis.nii.gz", ("ts_example_ct_abdpelvis_lungs_tsfast.nii.gz", "binary"), "holdout"),
    "cip_simple_dicom_abdomen_negative": ("cip_simple_dicom_abdomen_negative.nii.gz", None, "negative"),
}

TRAINING_ROLES = ("train", "train-negative")

# Lesions the mask must keep: a mask file on the CT's grid, or None where they are judged by eye on
# the pictures through the given axial slices (RAS input-grid k, found by looking at the CT).
LESIONS = {
    "pyrad_lung1_2x": ("pyrad_lung1_2x_tumor.nii.gz", None),  # nodule, right upper lung (a training case)
    "lungdx_A0001": (None, [44, 46, 48]),  # mass, left upper lobe, against the posterior chest wall and the aorta
    "lungdx_A0002": (None, [12, 13, 14]),  # hilar tumour, right lung (the data README says left; the images show right)
}


def reference_lung(values, kind):
    """Whole-lung mask from a reference label map (on the reference's own grid)."""
    values = np.rint(values).astype(np.int64)
    if kind == "cip":  # value = type << 8 | region; regions 1...14 are lung
        region = values & 0xFF
        return ((region >= 1) & (region <= 14)).astype(np.uint8)
    if kind == "totalseg":  # TotalSegmentator v2: 10-14 are the five lung lobes
        return ((values >= 10) & (values <= 14)).astype(np.uint8)
    if kind == "binary":  # 1 = lung
        return (values == 1).astype(np.uint8)
    raise ValueError(kind)


def load_ras(path):
    """The image as float32 in RAS orientation (permutes and flips only), its spacing and affine."""
    image = nib.as_closest_canonical(nib.load(path))
    data = np.asarray(image.dataobj, dtype=np.float32)
    if data.ndim == 4:
        data = data[..., 0]
    spacing = np.sqrt((image.affine[:3, :3] ** 2).sum(axis=0))
    return data, spacing, image.affine


def model_dims(shape, spacing):
    return tuple(max(1, int(round(n * s / t))) for n, s, t in zip(shape, spacing, SPACING))


def resample(data, spacing, dims=None, order=1, new_spacing=SPACING):
    """lungseg's convention: target index j samples source index j * new_spacing / spacing."""
    if dims is None:
        dims = tuple(max(1, int(round(n * s / t))) for n, s, t in zip(data.shape, spacing, new_spacing))
    axes = [np.arange(d, dtype=np.float64) * (t / s) for d, s, t in zip(dims, spacing, new_spacing)]
    axes = [np.clip(a, 0, n - 1) for a, n in zip(axes, data.shape)]
    grid = np.meshgrid(*axes, indexing="ij")
    return map_coordinates(data, grid, order=order, mode="nearest").astype(np.float32)


def scale_intensity(hu):
    low, high = CLIP
    return (np.clip(hu, low, high) - low) / (high - low)


def case_path(name, index=0):
    return os.path.join(DATA, CASES[name][index])


def cache_path(name, what):
    os.makedirs(os.path.join(WORK, "cache"), exist_ok=True)
    return os.path.join(WORK, "cache", f"{name}.{what}.npy")


def write_json(path, value):
    with open(path + ".tmp", "w") as handle:
        json.dump(value, handle, indent=2)
    os.replace(path + ".tmp", path)
