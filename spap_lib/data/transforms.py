"""Image transforms: the reference CycleGAN training recipe and deterministic evaluation transforms.

Training (CycleGAN/pix2pix ``--preprocess resize_and_crop``, paper Sec. 4.1 at 256x256): resize to
``load_size`` x ``load_size`` (bicubic), random ``crop_size`` crop, random horizontal flip (p = 0.5). The
random draws come from a ``numpy.random.Generator`` the dataset seeds from (seed, epoch, index), so a
seeded run sees the same crops on every machine and in every DataLoader worker. Evaluation: resize only
(bicubic; skipped when the size already matches), no randomness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from spap_lib.errors import ConfigError


@dataclass(frozen=True)
class CropParams:
    """Where to crop and whether to flip: drawn once per item, shared by A and B of an aligned pair."""

    top: int
    left: int
    flip: bool


def check_sizes(load_size: int, crop_size: int) -> None:
    if not (isinstance(load_size, int) and isinstance(crop_size, int)) or crop_size < 1:
        raise ConfigError(f"load_size and crop_size must be positive integers, got {load_size}, {crop_size}")
    if crop_size > load_size:
        raise ConfigError(f"crop_size {crop_size} is larger than load_size {load_size}; use crop <= load")


def draw_params(rng: np.random.Generator, load_size: int, crop_size: int, flip: bool = True) -> CropParams:
    top = int(rng.integers(0, load_size - crop_size + 1))
    left = int(rng.integers(0, load_size - crop_size + 1))
    return CropParams(top, left, bool(flip and rng.random() < 0.5))


def train_transform(img: Image.Image, p: CropParams, load_size: int, crop_size: int) -> Image.Image:
    """Resize to load_size (bicubic), crop crop_size at (p.top, p.left), flip if p.flip."""
    if img.size != (load_size, load_size):
        img = img.resize((load_size, load_size), Image.BICUBIC)
    img = img.crop((p.left, p.top, p.left + crop_size, p.top + crop_size))
    return img.transpose(Image.FLIP_LEFT_RIGHT) if p.flip else img


def eval_transform(img: Image.Image, size: int | None) -> Image.Image:
    """Resize to size x size (bicubic), or leave as is when ``size`` is None or already matches."""
    if size is None or img.size == (size, size):
        return img
    return img.resize((size, size), Image.BICUBIC)
