"""Figures of the book: the SPAP diagram drawn from a built module, image grids, attention heat maps
(Figs. 7-9), translations beside inputs and ground truth (Figs. 5-6), and training curves.

Every function returns a matplotlib ``Figure`` with a white background (readable in the theme's dark mode).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from spap_lib.io import atomic_write
from spap_lib.models import SPAP


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] -> (B, H, W, 3) uint8 (the same rounding the metrics use)."""
    x = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def _figure(width: float, height: float) -> Figure:
    fig = plt.figure(figsize=(width, height), facecolor="white")
    return fig


def draw_spap_diagram(block: SPAP) -> Figure:
    """Fig. 2 (bottom) redrawn from a built :class:`SPAP`: its branches, fuse order and Eq. 6 output."""
    levels = block.level_names
    fig = _figure(10, 3.8)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 4)
    ax.axis("off")

    def box(x, y, text, color, w=1.25, h=0.55):
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", fc=color, ec="black", lw=0.8
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=12)

    def arrow(a, b):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10, lw=0.8, color="black"))

    box(0.8, 2.0, "x (input)", "#dddddd")
    xs = np.linspace(2.4, 8.0, 5)
    for i, (x, name) in enumerate(zip(xs, levels)):
        box(x, 3.3, name, "#cfe2f3")
        arrow((1.45, 2.0), (x - 0.6, 3.3))
        if i == 0:
            continue
        box(x, 1.9, f"fuse {i}\n$\\alpha_{i}$", "#fce5cd", h=0.7)
        arrow((x, 3.0), (x, 2.27))
        src = (xs[i - 1], 3.0) if i == 1 else (xs[i - 1] + 0.65, 1.9)
        arrow(src, (x - 0.65, 1.9))
    box(9.3, 1.9, "$\\gamma o + (1-\\gamma) x$", "#d9ead3", w=1.2)
    ax.plot([0.8, 0.8, 9.3], [1.72, 1.1, 1.1], color="black", lw=0.8)  # the residual path of Eq. 6
    arrow((9.3, 1.1), (9.3, 1.6))
    ax.text(5.2, 1.18, "x (residual, Eq. 6)", ha="center", fontsize=11)
    arrow((xs[-1] + 0.65, 1.9), (9.3 - 0.62, 1.9))
    ax.text(
        5.2,
        0.6,
        f"order: {block.order.replace('_', ' ')}  |  fuse $i$: "
        "$f_i\\,\\alpha_i + f_{i+1}(1-\\alpha_i)$ (Eq. 5)",
        ha="center",
        fontsize=12,
    )
    return fig


def image_grid(rows: dict[str, np.ndarray], ncols: int = 6, size: float = 1.9) -> Figure:
    """One row of images per label: ``{label: (N, H, W, 3) uint8}``; tiles of ``size`` inches, pixels kept
    sharp (nearest), so a 32-pixel sample shows at about four times its size on a page."""
    fig = _figure(size * ncols + 1.6, size * len(rows) + 0.2)
    for r, (label, images) in enumerate(rows.items()):
        for c in range(ncols):
            ax = fig.add_subplot(len(rows), ncols, r * ncols + c + 1)
            ax.axis("off")
            if c < len(images):
                ax.imshow(images[c], interpolation="nearest")
            if c == 0:
                ax.text(-0.08, 0.5, label, transform=ax.transAxes, ha="right", va="center", fontsize=11)
    fig.subplots_adjust(
        left=1.5 / (size * ncols + 1.6), right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05
    )
    return fig


def attention_figure(images: np.ndarray, maps: dict[str, np.ndarray], title: str = "") -> Figure:
    """Figs. 7-9: generated images (first column) and each fuse's attention map as a heat map over them.

    ``maps``: ``{fuse label: (N, h, w) in [0, 1]}``; maps are upsampled to the image size (nearest) and drawn
    with a shared [0, 1] colour scale and one colour bar.
    """
    n, labels = len(images), list(maps)
    fig = _figure(2.3 * (len(labels) + 1) + 0.8, 2.3 * n + 0.6)
    axes = fig.subplots(n, len(labels) + 1, squeeze=False)
    mappable = None
    for i in range(n):
        axes[i, 0].imshow(images[i], interpolation="nearest")
        for j, label in enumerate(labels, 1):
            amap = maps[label][i]
            scale = images.shape[1] // amap.shape[0]
            up = np.kron(amap, np.ones((scale, scale)))
            axes[i, j].imshow(images[i], alpha=0.35, interpolation="nearest")
            mappable = axes[i, j].imshow(up, cmap="jet", vmin=0, vmax=1, alpha=0.65, interpolation="nearest")
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("sample", fontsize=11)
    for j, label in enumerate(labels, 1):
        axes[0, j].set_title(label, fontsize=10)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.subplots_adjust(left=0.02, right=0.86, top=0.88 if title else 0.93, bottom=0.02, wspace=0.05)
    cax = fig.add_axes([0.89, 0.1, 0.025, 0.75])
    fig.colorbar(mappable, cax=cax, label="attention $\\alpha$")
    return fig


def curves_figure(logs: dict[str, list[dict]], keys: tuple[str, ...], step_key: str = "step") -> Figure:
    """Training curves: one panel per loss key, one line per run (``logs``: run label -> log records)."""
    fig = _figure(4.2 * len(keys), 3.0)
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        for label, records in logs.items():
            pts = [(r[step_key], r[key]) for r in records if key in r]
            if pts:
                ax.plot(*zip(*pts), label=label, lw=1)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel(step_key)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, folder: str | Path, name: str, dpi: int = 110) -> Path:
    """Save ``fig`` as PNG atomically (the metrics package's temp-file-and-rename writer)."""
    return atomic_write(
        Path(folder) / name,
        lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, facecolor="white", bbox_inches="tight"),
    )
