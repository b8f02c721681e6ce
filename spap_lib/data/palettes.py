"""Label palettes: Cityscapes (19 trainId classes, labelId->trainId) and CMP Facades, with colour<->label maps.

Used by the streets/facades generators (Sec. 4.1 stand-ins), by the Cityscapes loaders and by the FCN-score
metric (Table 2), which turns generated label images back into class ids with :func:`colors_to_labels`.
"""

from __future__ import annotations

import numpy as np

IGNORE = 255

# Cityscapes, in trainId order (cityscapesScripts/helpers/labels.py).
CITYSCAPES_CLASSES: tuple[str, ...] = (
    "road",
    "sidewalk",
    "building",
    "wall",
    "fence",
    "pole",
    "traffic light",
    "traffic sign",
    "vegetation",
    "terrain",
    "sky",
    "person",
    "rider",
    "car",
    "truck",
    "bus",
    "train",
    "motorcycle",
    "bicycle",
)

CITYSCAPES_PALETTE: np.ndarray = np.array(
    [
        (128, 64, 128),
        (244, 35, 232),
        (70, 70, 70),
        (102, 102, 156),
        (190, 153, 153),
        (153, 153, 153),
        (250, 170, 30),
        (220, 220, 0),
        (107, 142, 35),
        (152, 251, 152),
        (70, 130, 180),
        (220, 20, 60),
        (255, 0, 0),
        (0, 0, 142),
        (0, 0, 70),
        (0, 60, 100),
        (0, 80, 100),
        (0, 0, 230),
        (119, 11, 32),
    ],
    dtype=np.uint8,
)
CITYSCAPES_PALETTE.setflags(write=False)

# labelId (0..33) -> trainId; every class that is not evaluated maps to 255 (ignore). -1 (license plate)
# is handled by :func:`cityscapes_label_to_train` as ignore too.
_LABEL_TO_TRAIN = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10}
_LABEL_TO_TRAIN.update({24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18})
CITYSCAPES_LABEL_TO_TRAIN: np.ndarray = np.full(256, IGNORE, dtype=np.uint8)
for _label, _train in _LABEL_TO_TRAIN.items():
    CITYSCAPES_LABEL_TO_TRAIN[_label] = _train
CITYSCAPES_LABEL_TO_TRAIN.setflags(write=False)

# CMP Facade Database (Tylecek & Sara 2013), the classes of pix2pix's facades dataset, in label order 1..12
# (index 0 here = CMP label 1). Palette: the MATLAB jet(12) colour map that the CMP label PNGs use, which
# is what pix2pix's facades B images show.
FACADES_CLASSES: tuple[str, ...] = (
    "background",
    "facade",
    "window",
    "door",
    "cornice",
    "sill",
    "balcony",
    "blind",
    "deco",
    "molding",
    "pillar",
    "shop",
)
FACADES_PALETTE: np.ndarray = np.array(
    [
        (0, 0, 170),
        (0, 0, 255),
        (0, 85, 255),
        (0, 170, 255),
        (0, 255, 255),
        (85, 255, 170),
        (170, 255, 85),
        (255, 255, 0),
        (255, 170, 0),
        (255, 85, 0),
        (255, 0, 0),
        (170, 0, 0),
    ],
    dtype=np.uint8,
)
FACADES_PALETTE.setflags(write=False)


def cityscapes_label_to_train(label_ids: np.ndarray) -> np.ndarray:
    """Map a Cityscapes ``*_labelIds.png`` array (labelIds 0..33) to trainIds (0..18, 255 = ignore)."""
    arr = np.asarray(label_ids)
    out = np.full(arr.shape, IGNORE, dtype=np.int64)
    inside = (arr >= 0) & (arr < 256)
    out[inside] = CITYSCAPES_LABEL_TO_TRAIN[arr[inside].astype(np.int64)]
    return out


def colors_to_labels(img: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Class id of every pixel: the nearest palette colour (squared RGB distance; ties -> lower id).

    ``img`` is an (H, W, 3) uint8 array; returns (H, W) int64. Nearest (not exact) matching so that
    generated, slightly-off colours still get a class, as pix2pix's FCN-score evaluation requires.
    """
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"colors_to_labels expects an (H, W, 3) image, got shape {arr.shape}")
    pal = np.asarray(palette, dtype=np.int32)
    flat = arr.reshape(-1, 3).astype(np.int32)
    # Unique colours first: label maps hold few distinct colours, so this is fast on big images.
    colours, inverse = np.unique(flat, axis=0, return_inverse=True)
    dist = ((colours[:, None, :] - pal[None, :, :]) ** 2).sum(-1)
    return dist.argmin(1).astype(np.int64)[inverse.reshape(-1)].reshape(arr.shape[:2])


def labels_to_colors(labels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """(H, W) class ids -> (H, W, 3) uint8 image in ``palette``; 255 (ignore) and out-of-range ids -> black."""
    lab = np.asarray(labels).astype(np.int64)
    pal = np.asarray(palette, dtype=np.uint8)
    out = np.zeros(lab.shape + (3,), dtype=np.uint8)
    valid = (lab >= 0) & (lab < len(pal))
    out[valid] = pal[lab[valid]]
    return out
