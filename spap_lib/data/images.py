"""Reading images from disk into RGB, with documented conversions and errors that name the file.

Conversions (all to 8-bit RGB):
* 1-bit, grayscale ``L``, palette ``P``, ``CMYK``, ``YCbCr``, ``LAB``, ``HSV``: PIL's ``convert("RGB")``;
* ``RGBA`` / ``LA`` / ``PA``: the alpha channel is dropped (colour kept), as the reference CycleGAN/pix2pix
  loaders do with ``convert("RGB")``;
* 16-bit (``I;16*``) and 32-bit integer (``I``) grayscale: scaled by 1/257 (65535 -> 255) and replicated to
  three channels; PIL's own conversion would clip everything above 255 to white (a silent wrong result).
  (16-bit RGB PNGs are opened by PIL as 8-bit RGB already, keeping the high byte.)
* float (``F``) images are refused: no scale is implied; convert them to 8 or 16 bit first.
A file PIL cannot decode (corrupt, truncated, not an image) raises :class:`DataError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from spap_lib.errors import DataError
from spap_lib.io import IMAGE_EXTENSIONS, is_image, list_images  # noqa: F401 (re-exported)


def load_rgb(path: str | Path) -> Image.Image:
    """Open ``path`` as an 8-bit RGB PIL image (see the module docstring for the conversions)."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            mode = im.mode
            if mode == "RGB":
                return im.copy()
            if mode.startswith("I;16") or mode == "I":
                arr = np.asarray(im, dtype=np.int64)
                arr = np.clip(np.round(arr / 257.0), 0, 255).astype(np.uint8)
                return Image.fromarray(arr, "L").convert("RGB")
            if mode == "F":
                raise DataError(
                    f"{path}: floating-point image (mode F) has no implied scale; save it as 8- or 16-bit"
                )
            return im.convert("RGB")
    except DataError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(
            f"cannot read image {path}: {exc} (corrupt or truncated file; re-download or delete it)"
        ) from None


def to_tensor(img: Image.Image) -> torch.Tensor:
    """RGB PIL image -> float32 tensor (3, H, W) in [-1, 1] (the reference Normalize((0.5,)*3, (0.5,)*3))."""
    arr = np.asarray(img, dtype=np.float32)
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous().div_(127.5).sub_(1.0)


def split_ab(img: Image.Image, path: str | Path) -> tuple[Image.Image, Image.Image]:
    """Split an aligned pix2pix image A|B into its left and right halves; odd width -> DataError."""
    w, h = img.size
    if w % 2:
        raise DataError(
            f"{path}: width {w} is odd, so it is not an A|B pair of equal halves; "
            "pix2pix's aligned layout needs width = 2 x the image width"
        )
    return img.crop((0, 0, w // 2, h)), img.crop((w // 2, 0, w, h))
