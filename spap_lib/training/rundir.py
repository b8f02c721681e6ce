"""The run folder: config.json, log.jsonl, samples/*.png, checkpoints/last.pt, summary.json.

Everything a run writes goes under its folder, atomically (temp file + ``os.replace``); ``log.jsonl`` is
append-only, one JSON object per logged step, and is truncated back to the checkpoint's step on resume so a
resumed log has no duplicate or orphan lines.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import torch

from spap_lib.errors import SpapError
from spap_lib.io import atomic_write_text, write_json

CHECKPOINT = "checkpoints/last.pt"


class NonFiniteLoss(SpapError, RuntimeError):
    """A loss became NaN/Inf; the message names the step and the loss."""


class RunDir:
    """Paths and writers of one run folder (only rank 0 writes)."""

    def __init__(self, root: str | Path, write: bool = True):
        self.root = Path(root)
        self.write = write
        if write:
            (self.root / "samples").mkdir(parents=True, exist_ok=True)
            (self.root / "checkpoints").mkdir(parents=True, exist_ok=True)

    @property
    def checkpoint(self) -> Path:
        return self.root / CHECKPOINT

    @property
    def log_path(self) -> Path:
        return self.root / "log.jsonl"

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        if self.write:
            write_json(self.root / name, data)

    def log(self, record: dict[str, Any]) -> None:
        if self.write:
            with open(self.log_path, "a") as f:
                f.write(json.dumps(record) + "\n")

    def truncate_log(self, step: int) -> None:
        """Keep only log lines with ``step <= step`` (resume after an interruption)."""
        if not self.write or not self.log_path.exists():
            return
        lines = [ln for ln in self.log_path.read_text().splitlines() if ln.strip()]
        kept = [ln for ln in lines if json.loads(ln).get("step", 0) <= step]
        atomic_write_text(self.log_path, "".join(ln + "\n" for ln in kept))

    def save_grid(self, images: torch.Tensor, name: str, nrow: int) -> None:
        """Save images in [-1, 1] as a PNG grid under samples/."""
        if not self.write:
            return
        from torchvision.utils import save_image

        path = self.root / "samples" / name
        tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.png")
        save_image(images.detach().float().cpu() * 0.5 + 0.5, tmp, nrow=nrow, padding=2)
        os.replace(tmp, path)


def check_finite(step: int, losses: dict[str, float], checkpoint: Path) -> None:
    for name, value in losses.items():
        if not math.isfinite(value):
            raise NonFiniteLoss(
                f"loss {name} = {value} at step {step}: training stopped; the last good checkpoint "
                f"is {checkpoint} (lower the learning rate or use precision=fp32, then resume)"
            )


def git_commit() -> str | None:
    """The commit of the source tree the library runs from, or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment(device: torch.device) -> dict[str, Any]:
    info: dict[str, Any] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "git_commit": git_commit(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info
