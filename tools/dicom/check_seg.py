#!/usr/bin/env python3
"""Checks a DICOM Segmentation that `lungseg segment SERIES --dicom-seg SEG -o MASK.nii.gz` wrote,
independently of lungseg (pydicom + highdicom; not run by CI: Python is not part of lungseg).

    pip install pydicom highdicom nibabel numpy
    python tools/dicom/check_seg.py SERIES_FOLDER SEG.dcm MASK.nii.gz [AIRWAYS.nii.gz]

(AIRWAYS: `segment --airways`; the SEG's airway segment, label 3, is checked against it.)

1. highdicom's `Segmentation.from_dataset` accepts the file;
2. its frames, placed on the source series by their referenced SOP instances, rebuild the NIfTI
   mask voxel for voxel (segment numbers are the mask's labels: 1 right / 2 left with
   --split-lungs, else 1 lung; the airway segment, when there is one, comes next);
3. patient, study and frame of reference are those of the source series; every frame references
   a source image; prints the segments with their codes and the algorithm.
Exit status 0 when every check holds.
"""
import os
import sys

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom


def main(folder, seg_path, mask_path, airways_path=None):
    sources = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        try:
            dataset = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        if "ImagePositionPatient" in dataset:
            sources.append(dataset)
    # lungseg's slice order: positions along the slice normal, ascending.
    orientation = np.array(sources[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(orientation[:3], orientation[3:])
    sources.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, dtype=float))))
    uids = [d.SOPInstanceUID for d in sources]

    seg = hd.seg.Segmentation.from_dataset(pydicom.dcmread(seg_path))
    failures = []
    for attribute in ["PatientID", "StudyInstanceUID", "FrameOfReferenceUID"]:
        if getattr(seg, attribute, None) != getattr(sources[0], attribute, None):
            failures.append(f"{attribute} differs from the source")
    numbers = list(seg.segment_numbers)
    for number in numbers:
        description = seg.get_segment_description(number)
        algorithm = description.algorithm_identification
        print(f"segment {number}: {description.segment_label!r}, type {description.segmented_property_type.value} "
              f"{description.segmented_property_type.meaning!r} ({description.segmented_property_type.scheme_designator}), "
              f"algorithm {description.algorithm_type.value}"
              + (f" {algorithm.name} {algorithm.version} ({algorithm.family.meaning}); parameters {algorithm.parameters}"
                 if algorithm is not None else ""))
    referenced = [uid for uid in uids if uid in set(u for _, _, u in seg.get_source_image_uids())]
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=referenced, segment_numbers=numbers,
                                               combine_segments=True, relabel=False)
    rebuilt = np.zeros((len(uids),) + pixels.shape[1:], dtype=np.uint8)
    for slice_pixels, uid in zip(pixels, referenced):
        rebuilt[uids.index(uid)] = slice_pixels
    mask = np.asarray(nib.load(mask_path).dataobj).astype(np.uint8)  # [i (column), j (row), k (slice)]
    if airways_path:
        # The airway segment follows the lung segments: number 2 (one lung segment) or 3.
        airway_numbers = [n for n in numbers if seg.get_segment_description(n).segment_label == "Trachea and main bronchi"]
        airways = np.asarray(nib.load(airways_path).dataobj) != 0
        mask[(mask == 0) & airways] = airway_numbers[0] if airway_numbers else 255
    expected = np.transpose(mask, (2, 1, 0))
    if rebuilt.shape != expected.shape:
        failures.append(f"grid {rebuilt.shape} differs from the mask's {expected.shape}")
    elif not np.array_equal(rebuilt, expected):
        failures.append(f"{int((rebuilt != expected).sum())} voxels differ from the mask")
    print(f"frames {seg.NumberOfFrames}, segments {len(numbers)}, slices with a segment {len(referenced)} of {len(uids)}; "
          f"mask voxels {int((expected != 0).sum())}")
    for failure in failures:
        print("FAIL:", failure)
    print("ok" if not failures else "not ok")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
