"""Vectorised numpy drawing shared by the synthetic generators: shape masks, value noise, blending.

Every image is drawn at ``ss`` times its size (supersampling) on a grid of pixel-centre coordinates in
[0, 1]; photos are box-filtered down (anti-aliased), label maps are point-sampled at the centre sample
of each block so they keep exact palette colours. All randomness comes from the caller's
``numpy.random.Generator``, so an image is a pure function of its seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


class Canvas:
    """Coordinates (``x``, ``y`` in [0, 1], y down) of a ``size*ss`` square supersampled image."""

    def __init__(self, size: int, ss: int) -> None:
        self.size, self.ss = size, ss
        n = size * ss
        c = (np.arange(n, dtype=np.float32) + 0.5) / n
        self.y, self.x = np.meshgrid(c, c, indexing="ij")
        self.n = n

    def photo(self, rgb) -> np.ndarray:
        """A new (n, n, 3) float32 image filled with ``rgb`` (0..1)."""
        return np.broadcast_to(np.asarray(rgb, np.float32), (self.n, self.n, 3)).copy()

    def labels(self, fill: int) -> np.ndarray:
        return np.full((self.n, self.n), fill, dtype=np.uint8)

    def downsample(self, img: np.ndarray) -> np.ndarray:
        """Box-filter a supersampled photo to (size, size, 3) uint8."""
        s, k = self.size, self.ss
        out = img.reshape(s, k, s, k, -1).mean(axis=(1, 3))
        return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
        """(rows, cols) slices of the pixels whose centres lie in [x0, x1) x [y0, y1): a fast ``rect``."""
        n = self.n

        def idx(t: float) -> int:
            return int(min(max(np.ceil(t * n - 0.5), 0), n))

        return slice(idx(y0), idx(y1)), slice(idx(x0), idx(x1))

    def point_sample(self, labels: np.ndarray) -> np.ndarray:
        """Label map at (size, size): the centre sample of each supersampled block (exact ids)."""
        k = self.ss
        return labels[k // 2 :: k, k // 2 :: k]


def rotate(x: np.ndarray, y: np.ndarray, cx: float, cy: float, angle: float):
    """Coordinates relative to (cx, cy), rotated by ``-angle`` (so shapes drawn in them turn by +angle)."""
    c, s = float(np.cos(angle)), float(np.sin(angle))
    dx, dy = x - cx, y - cy
    return c * dx + s * dy, -s * dx + c * dy


def ellipse(x, y, cx, cy, rx, ry, angle: float = 0.0) -> np.ndarray:
    u, v = rotate(x, y, cx, cy, angle)
    return (u / rx) ** 2 + (v / ry) ** 2 <= 1.0


def rect(x, y, x0, y0, x1, y1) -> np.ndarray:
    return (x >= x0) & (x < x1) & (y >= y0) & (y < y1)


def polygon(x, y, pts) -> np.ndarray:
    """Even-odd fill of a polygon given as [(x, y), ...] (any shape, vectorised over edges)."""
    inside = np.zeros(x.shape, dtype=bool)
    n = len(pts)
    for i in range(n):
        x0, y0 = pts[i]
        x1, y1 = pts[(i + 1) % n]
        if y0 == y1:
            continue
        crosses = (y0 > y) != (y1 > y)
        xint = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (x < xint)
    return inside


def segment(x, y, x0, y0, x1, y1, width: float) -> np.ndarray:
    """A thick line segment (capsule) of the given total width."""
    dx, dy = x1 - x0, y1 - y0
    L2 = dx * dx + dy * dy + 1e-12
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / L2, 0.0, 1.0)
    return (x - x0 - t * dx) ** 2 + (y - y0 - t * dy) ** 2 <= (width / 2) ** 2


def value_noise(rng: np.random.Generator, n: int, cells: int) -> np.ndarray:
    """Smooth noise in [0, 1] of shape (n, n): a random (cells+1)^2 lattice, bilinearly interpolated."""
    grid = rng.random((cells + 1, cells + 1), dtype=np.float32)
    t = np.linspace(0, cells, n, endpoint=False, dtype=np.float32) + cells / (2 * n)
    i = np.minimum(t.astype(np.int64), cells - 1)
    f = t - i
    f = f * f * (3 - 2 * f)  # smoothstep
    rows = grid[:, i] * (1 - f) + grid[:, i + 1] * f  # (cells+1, n): interpolate along x first
    return rows[i] * (1 - f)[:, None] + rows[i + 1] * f[:, None]


def fbm(rng: np.random.Generator, n: int, base: int = 4, octaves: int = 3) -> np.ndarray:
    """Fractal noise in about [0, 1]: octaves of value noise at doubling frequencies."""
    out = np.zeros((n, n), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        out += amp * value_noise(rng, n, min(base * 2**o, n))
        total += amp
        amp *= 0.5
    return out / total


def paint(img: np.ndarray, mask: np.ndarray, rgb, shade: np.ndarray | float = 1.0) -> None:
    """Set ``img[mask]`` to ``rgb`` times ``shade`` (a scalar or a per-pixel (n, n) array), in place."""
    col = np.asarray(rgb, np.float32)
    if np.isscalar(shade):
        img[mask] = col * shade
    else:
        img[mask] = col[None, :] * shade[mask][:, None]


def jitter(rng: np.random.Generator, rgb, amount: float = 0.08) -> np.ndarray:
    """A colour near ``rgb`` (0..1), each channel moved by up to ``amount``."""
    return np.clip(np.asarray(rgb, np.float32) + rng.uniform(-amount, amount, 3), 0, 1)


def save_png(path: Path, arr: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 array as PNG with fixed settings (no metadata): same array -> same bytes."""
    Image.fromarray(np.ascontiguousarray(arr), "RGB").save(path, format="PNG", compress_level=4)
