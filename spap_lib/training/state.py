"""Runtime state of a run: device choice, determinism switches, RNG capture/restore, atomic checkpoints.

Checkpoints are plain ``torch.save`` dicts of tensors, numbers, strings and lists, so every load uses
``torch.load(..., weights_only=True)``. RNG states covered: torch CPU (and CUDA when used), Python
``random``, NumPy's global generator (datasets may use any of them), plus the trainers' own seeded
``torch.Generator`` objects (z, image pool), which they store under their own keys.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from spap_lib.errors import ConfigError, DataError


def pick_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without a GPU is a ConfigError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' requested but no GPU is visible: use --set device=cpu")
    return torch.device(name)


def set_determinism(seed: int, deterministic: bool) -> None:
    """Seed every global RNG; ask torch for deterministic kernels (warn-only where none exists)."""
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def rng_state() -> dict[str, Any]:
    """Global RNG states in a ``weights_only``-loadable form."""
    py = random.getstate()
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [
            np_state[0],
            torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            int(np_state[2]),
            int(np_state[3]),
            float(np_state[4]),
        ],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), n[2], n[3], n[4]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint written by :func:`spap_lib.io.atomic_save` (``weights_only=True``)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or foreign file
        raise DataError(
            f"cannot read checkpoint {path} ({type(exc).__name__}): delete it to restart the run"
        ) from exc


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """The plain module under DDP and/or torch.compile wrappers (what checkpoints store)."""
    while True:
        if hasattr(module, "_orig_mod"):
            module = module._orig_mod
        elif isinstance(module, torch.nn.parallel.DistributedDataParallel):
            module = module.module
        else:
            return module


class preserved_rng:
    """Context manager: code inside may draw from the global RNGs without changing the run's trajectory."""

    def __enter__(self) -> None:
        self._state = rng_state()

    def __exit__(self, *exc: object) -> None:
        set_rng_state(self._state)
