"""QC pictures for the training tools: a coronal slice and three axial slices of a RAS volume
(lung window -1350..150 HU), the mask outline in green (and a second mask in red, if given). Radiological view: the
patient's right on the picture's left, anterior (or superior) up."""
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage


def _gray(hu):
    return (np.clip((hu + 1350) / 1500, 0, 1) * 255).astype(np.uint8)


def _outline(mask):
    mask = mask.astype(bool)
    return mask & ~ndimage.binary_erosion(mask)


def _panel(hu2d, masks, aspect):
    """hu2d: [x, y] in RAS voxel order; shown with anterior up, patient's right on the left."""
    gray = _gray(hu2d)
    rgb = np.stack([gray] * 3, axis=-1)
    for mask, color in masks:
        if mask is not None:
            rgb[_outline(mask)] = color
    picture = np.flipud(np.fliplr(np.transpose(rgb, (1, 0, 2))))  # rows: y descending; columns: x descending
    image = Image.fromarray(np.ascontiguousarray(picture))
    if aspect != 1:
        image = image.resize((image.width, max(1, int(round(image.height * aspect)))), Image.NEAREST)
    return image


def save(path, hu, mask, title="", second=None, spacing=(0.8, 0.8, 5.0), focus=None, slices=None):
    """`focus` (a mask), when given, chooses the slices instead of `mask`: the coronal through its
    centre, the axial slices through its largest cross-sections. `slices` (axial k) overrides."""
    nx, ny, nz = hu.shape
    explicit = slices
    chooser = mask if focus is None else focus
    fg = np.nonzero(chooser.any(axis=(0, 2)))[0]
    y = int(fg.mean()) if fg.size else ny // 2
    zs = np.nonzero(chooser.any(axis=(0, 1)))[0]
    if focus is not None and zs.size:
        area = focus.sum(axis=(0, 1))
        slices = sorted(int(k) for k in np.argsort(area)[::-1][:3])
    elif zs.size:
        slices = [int(zs[0] + f * (zs[-1] - zs[0])) for f in (0.2, 0.5, 0.8)]
    else:
        slices = [nz // 4, nz // 2, 3 * nz // 4]
    slices = explicit if explicit is not None else slices
    panels = [_panel(hu[:, y, :], [(mask[:, y, :], (0, 255, 0)),
                                   (None if second is None else second[:, y, :], (255, 0, 0))],
                     spacing[2] / spacing[0])]
    for k in slices:
        panels.append(_panel(hu[:, :, k], [(mask[:, :, k], (0, 255, 0)),
                                           (None if second is None else second[:, :, k], (255, 0, 0))],
                             spacing[1] / spacing[0]))
    width = sum(p.width for p in panels) + 10 * (len(panels) - 1)
    height = max(p.height for p in panels) + 20
    canvas = Image.new("RGB", (width, height), (0, 0, 0))
    x = 0
    for p in panels:
        canvas.paste(p, (x, 20))
        x += p.width + 10
    ImageDraw.Draw(canvas).text((4, 4), title + f"  (coronal y={y}; axial z={slices})", fill=(255, 255, 0))
    canvas.save(path)
