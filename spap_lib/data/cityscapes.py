"""Cityscapes in its official form (``leftImg8bit/`` + ``gtFine/``) for labels<->photo (paper Table 2).

Layout: ``<root>/leftImg8bit/<split>/<city>/<name>_leftImg8bit.png`` and
``<root>/gtFine/<split>/<city>/<name>_gtFine_labelIds.png``. Items: {"A": photo, "B": label image in the
Cityscapes palette (both float32 (3, H, W) in [-1, 1]), "labels": int64 (H, W) trainIds with 255 = ignore,
"path"}: A = photo and B = labels as in pix2pix's prepared A|B form (read that form with ``PairedDataset``).
``size`` resizes to size x size like pix2pix's preparation (which squashes 2048x1024 to 256x256): the
photo bicubic, the labelIds nearest-neighbour (never interpolated ids).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from spap_lib.data.images import load_rgb, to_tensor
from spap_lib.data.palettes import CITYSCAPES_PALETTE, cityscapes_label_to_train, labels_to_colors
from spap_lib.errors import DataError

LAYOUT = (
    "<root>/leftImg8bit/<split>/<city>/*_leftImg8bit.png + <root>/gtFine/<split>/<city>/*_gtFine_labelIds.png"
)


def read_label_ids(path: Path) -> np.ndarray:
    """A ``*_labelIds.png`` as an integer array (must be single-channel)."""
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ("L", "P", "I", "I;16"):
                raise DataError(f"{path}: labelIds image has mode {im.mode}; expected 8-bit single channel")
            return np.asarray(im).astype(np.int64)
    except DataError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"cannot read label image {path}: {exc} (corrupt or truncated file)") from None


class CityscapesDataset(Dataset):
    """Official Cityscapes, photo + trainIds (19 classes, 255 ignore)."""

    def __init__(self, root: str | Path, split: str = "val", size: int | None = None) -> None:
        self.root, self.size = Path(root), size
        if not self.root.is_dir():
            raise DataError(f"Cityscapes root {self.root} does not exist; expected {LAYOUT}")
        img_dir, gt_dir = self.root / "leftImg8bit" / split, self.root / "gtFine" / split
        if not img_dir.is_dir() or not gt_dir.is_dir():
            raise DataError(f"{self.root} lacks leftImg8bit/{split}/ or gtFine/{split}/; expected {LAYOUT}")
        self.images = sorted(img_dir.glob("*/*_leftImg8bit.png"))
        if not self.images:
            raise DataError(f"split {img_dir} is empty; expected {LAYOUT}")
        self.labels = []
        for p in self.images:
            lab = gt_dir / p.parent.name / p.name.replace("_leftImg8bit.png", "_gtFine_labelIds.png")
            if not lab.is_file():
                raise DataError(f"{p} has no label file {lab}; expected {LAYOUT}")
            self.labels.append(lab)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict:
        photo = load_rgb(self.images[i])
        ids = read_label_ids(self.labels[i])
        if ids.shape != (photo.size[1], photo.size[0]):
            raise DataError(f"{self.labels[i]} is {ids.shape[::-1]} but its photo is {photo.size}")
        train_ids = cityscapes_label_to_train(ids)
        if self.size is not None:
            photo = photo.resize((self.size, self.size), Image.BICUBIC)
            lab_img = Image.fromarray(train_ids.astype(np.uint8), "L")
            train_ids = np.asarray(lab_img.resize((self.size, self.size), Image.NEAREST)).astype(np.int64)
        colours = Image.fromarray(labels_to_colors(train_ids, CITYSCAPES_PALETTE), "RGB")
        return {
            "A": to_tensor(photo),
            "B": to_tensor(colours),
            "labels": torch.from_numpy(train_ids),
            "path": str(self.images[i]),
        }
