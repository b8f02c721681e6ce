"""Backbone features of images from a generator (no files), from arrays, and from folders (clean-fid).

All three paths share clean-fid's pipeline: image in [0, 255] -> clean resize to the backbone's input
(``Backbone.resize``) -> batch -> ``cleanfid.fid.get_batch_features``. The generator path is the hot
one (Sec. 4.2's FID of 50k samples; our CPU runs use fewer): no PNG round trip.

Choices:
- ``quantize=True`` (default) rounds generated images to uint8 before resizing, as saving a PNG does,
  so scoring a generator and scoring its saved samples give the *same* number (tested). clean-fid's
  own ``compute_fid(gen=...)`` does not quantise; ``quantize=False`` reproduces it exactly.
- Latents come from a seeded ``torch.Generator`` (clean-fid draws from the global RNG), so a seed
  fixes the sample set; exactly ``num`` images are generated.
- ``resolution``: images of another size are first resized to it (clean resize, then rounded to
  uint8) -- "as if the dataset were stored at that resolution" -- before the backbone's own resize.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from cleanfid.fid import get_batch_features, get_files_features, get_folder_features

from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics.backbones import Backbone, _clean_resizer

CPU = torch.device("cpu")


def pixel_generator(G: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """Wrap a generator with outputs in [-1, 1] into clean-fid's convention: z -> images in [0, 255]."""

    def gen(z: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return (G(z).float().clamp(-1, 1) + 1.0) * 127.5

    return gen


def _to_resolution(img: np.ndarray, resolution: int | None) -> np.ndarray:
    if resolution is None or img.shape[:2] == (resolution, resolution):
        return img
    return np.clip(np.rint(_clean_resizer(resolution)(img)), 0, 255).astype(np.uint8)


def _features_of(
    images: Iterable[np.ndarray], backbone: Backbone, batch_size: int, resolution: int | None
) -> np.ndarray:
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


def generator_features(
    gen: Callable[[torch.Tensor], torch.Tensor],
    backbone: Backbone,
    num: int,
    z_dim: int,
    batch_size: int | None = None,
    seed: int = 0,
    quantize: bool = True,
    resolution: int | None = None,
) -> np.ndarray:
    """(num, D) features of ``num`` images of ``gen`` (z (B, z_dim) -> (B, 3, H, W) in [0, 255]).

    No files are written. Latents: ``torch.randn`` from a ``torch.Generator`` seeded with ``seed``,
    drawn batch by batch, so equal (seed, batch_size) give equal samples.
    """
    batch_size = batch_size or backbone.batch_size
    if num < 1 or batch_size < 1:
        raise ConfigError(f"num ({num}) and batch_size ({batch_size}) must be positive")
    g = torch.Generator().manual_seed(seed)

    def images() -> Iterable[np.ndarray]:
        left = num
        while left > 0:
            b = min(batch_size, left)
            z = torch.randn((b, z_dim), generator=g)
            with torch.no_grad():
                x = gen(z).detach().cpu().float()
            if x.ndim != 4 or x.shape[1] != 3:
                raise ConfigError(
                    f"generator must return (B, 3, H, W) images, got {tuple(x.shape)}"
                )
            arr = x.numpy().transpose(0, 2, 3, 1)
            if quantize:
                arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
            yield from arr
            left -= b

    return _features_of(images(), backbone, batch_size, resolution)


def _image_transform(
    side: str | None, resolution: int | None
) -> Callable[[np.ndarray], np.ndarray]:
    if side not in (None, "A", "B"):
        raise ConfigError(
            f"side must be None, 'A' or 'B' (halves of an aligned A|B image), got {side!r}"
        )

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
