"""Backbone features of images from arrays (no files) and from folders (clean-fid's file path).

Both paths share clean-fid's pipeline: image in [0, 255] -> clean resize to the backbone's input
(``Backbone.resize``) -> batch -> ``cleanfid.fid.get_batch_features``. Generated images are scored in memory:
sample them with the run's own latent distribution (``spap_lib.training.sample``), round to uint8 as saving
a PNG would (``spap_lib.metrics.to_uint8``), then ``image_features`` -- the same features clean-fid's folder
path gives for the saved PNGs (tested). ``resolution``: images of another size are first resized to it
(clean resize, then rounded to uint8) -- "as if the dataset were stored at that resolution" -- before the
backbone's own resize.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch

from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics.backbones import Backbone, _clean_resizer

CPU = torch.device("cpu")


def _to_resolution(img: np.ndarray, resolution: int | None) -> np.ndarray:
    if resolution is None or img.shape[:2] == (resolution, resolution):
        return img
    return np.clip(np.rint(_clean_resizer(resolution)(img)), 0, 255).astype(np.uint8)


def _features_of(
    images: Iterable[np.ndarray], backbone: Backbone, batch_size: int, resolution: int | None
) -> np.ndarray:
    from cleanfid.fid import get_batch_features  # imported where used: cleanfid.fid pulls in torchvision

    feats, batch = [], []
    for img in images:
        img = _to_resolution(np.asarray(img), resolution)
        batch.append(torch.from_numpy(backbone.resize(img).transpose(2, 0, 1).copy()))
        if len(batch) == batch_size:
            feats.append(get_batch_features(torch.stack(batch), backbone, CPU))
            batch = []
    if batch:
        feats.append(get_batch_features(torch.stack(batch), backbone, CPU))
    if not feats:
        raise ConfigError("no images to extract features from")
    return np.concatenate(feats)


def image_features(
    images: np.ndarray | Iterable[np.ndarray],
    backbone: Backbone,
    batch_size: int | None = None,
    resolution: int | None = None,
) -> np.ndarray:
    """(N, D) features of (H, W, 3) images in [0, 255] (uint8 or float), e.g. a uint8 (N,H,W,3) array."""
    return _features_of(images, backbone, batch_size or backbone.batch_size, resolution)


def _image_transform(side: str | None, resolution: int | None) -> Callable[[np.ndarray], np.ndarray]:
    if side not in (None, "A", "B"):
        raise ConfigError(f"side must be None, 'A' or 'B' (halves of an aligned A|B image), got {side!r}")

    def transform(img: np.ndarray) -> np.ndarray:
        if side is not None:
            h, w = img.shape[:2]
            if w % 2:
                raise DataError(f"an aligned A|B image must have an even width, got {w}")
            img = img[:, : w // 2] if side == "A" else img[:, w // 2 :]
        return _to_resolution(img, resolution)

    return transform


def folder_features(
    folder: str | Path | None,
    backbone: Backbone,
    files: Sequence[str | Path] | None = None,
    side: str | None = None,
    resolution: int | None = None,
    batch_size: int | None = None,
) -> np.ndarray:
    """(N, D) features of every image under ``folder`` (recursive, clean-fid's file list and loader),
    or of ``files`` when given. ``side`` takes the left ("A") or right ("B") half of aligned A|B images.
    """
    from cleanfid.fid import get_files_features, get_folder_features

    common = dict(
        num_workers=0,
        batch_size=batch_size or backbone.batch_size,
        device=CPU,
        mode="clean",
        custom_fn_resize=backbone.resize,
        custom_image_tranform=_image_transform(side, resolution),
        verbose=False,
    )
    if files is not None:
        if not files:
            raise DataError("empty file list: nothing to compute features of")
        return get_files_features([str(f) for f in files], backbone, **common)
    if folder is None or not Path(folder).is_dir():
        raise DataError(f"image folder {folder} does not exist: generate or download it first")
    try:
        return get_folder_features(str(folder), backbone, **common)
    except ValueError as exc:  # np.concatenate of nothing
        raise DataError(f"no images found under {folder}: check the path") from exc
