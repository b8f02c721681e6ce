"""PSNR and SSIM of translated images against their ground truth (the paper's Table 3, Sec. 4.2).

Definitions (fixed, so numbers are comparable across runs):

- Both images are uint8 RGB arrays (H, W, 3); the data range is 255 whatever the images contain.
- PSNR = 10 log10(255^2 / MSE), the MSE taken over all pixels and channels of one image pair
  (``skimage.metrics.peak_signal_noise_ratio``); identical images give ``inf``.
- SSIM (Wang et al. 2004): 11x11 Gaussian window with sigma 1.5, population (not sample) covariances,
  K1 = 0.01, K2 = 0.03, computed per channel and averaged over the three channels, the mean taken over
  the valid (un-padded) window positions: ``skimage.metrics.structural_similarity(a, b,
  gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=-1)``.
  The paper does not state its SSIM settings; these are the original paper's, which scikit-image (a
  maintained implementation) reproduces.
- Over a test split, the reported value is the mean of the per-image values (``image_quality``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from spap_lib.errors import ConfigError

DATA_RANGE = 255
SSIM_SIGMA = 1.5


def to_uint8(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """Images in [-1, 1] ((3,H,W) or (B,3,H,W) tensor/array) -> uint8 (H,W,3) / (B,H,W,3).

    Rounds ``(x + 1) * 127.5`` to the nearest integer after clamping, as saving a PNG would.
    """
    x = images.detach().cpu().float().numpy() if isinstance(images, torch.Tensor) else images
    x = np.asarray(x, dtype=np.float32)
    if x.ndim not in (3, 4) or x.shape[-3] != 3:
        raise ConfigError(f"expected (3,H,W) or (B,3,H,W) images in [-1, 1], got shape {x.shape}")
    x = np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return np.moveaxis(x, -3, -1)


def _check_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ConfigError(
            f"PSNR/SSIM take uint8 RGB images, got {a.dtype} and {b.dtype}: convert with to_uint8()"
        )
    if a.shape != b.shape or a.ndim != 3 or a.shape[-1] != 3:
        raise ConfigError(
            f"PSNR/SSIM need two (H, W, 3) images of the same shape, got {a.shape} and {b.shape}"
        )
    return a, b


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 (H, W, 3) images, data range 255 (``inf`` when identical)."""
    a, b = _check_pair(a, b)
    if np.array_equal(a, b):
        return float("inf")
    from skimage.metrics import peak_signal_noise_ratio  # imported here: scikit-image pulls in scipy.stats

    return float(peak_signal_noise_ratio(a, b, data_range=DATA_RANGE))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two uint8 (H, W, 3) images: 11x11 Gaussian window, sigma 1.5, mean over channels."""
    a, b = _check_pair(a, b)
    if min(a.shape[:2]) < 11:
        raise ConfigError(f"SSIM needs images of at least 11x11 pixels, got {a.shape[:2]}")
    from skimage.metrics import structural_similarity

    return float(
        structural_similarity(
            a,
            b,
            gaussian_weights=True,
            sigma=SSIM_SIGMA,
            use_sample_covariance=False,
            data_range=DATA_RANGE,
            channel_axis=-1,
        )
    )


def image_quality(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Mean PSNR and SSIM over (output, target) uint8 pairs, plus the count.

    Identical pairs have infinite PSNR; they are left out of the PSNR mean and counted in
    ``psnr_inf`` (a finite mean is more useful than ``inf``), but they do count in the SSIM mean.
    """
    psnrs, ssims, n_inf = [], [], 0
    for a, b in pairs:
        p = psnr(a, b)
        if np.isinf(p):
            n_inf += 1
        else:
            psnrs.append(p)
        ssims.append(ssim(a, b))
    if not ssims:
        raise ConfigError("image_quality got no image pairs: check the test split is not empty")
    return {
        "psnr": float(np.mean(psnrs)) if psnrs else float("inf"),
        "ssim": float(np.mean(ssims)),
        "n": len(ssims),
        "psnr_inf": n_inf,
    }
