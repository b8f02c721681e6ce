"""Small file helpers every layer shares: tensor-state digests (more will move here, one copy each)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import torch


def state_digest(state: Mapping[str, torch.Tensor], names: bool = True) -> str:
    """SHA-256 over the name, dtype, shape and bytes of every tensor of a state dict, in its order.

    Two state dicts have the same digest exactly when they hold bit-identical tensors under the same names;
    with ``names=False``, in the same order whatever their names (a renamed module keeps its digest).
    """
    h = hashlib.sha256()
    for name, t in state.items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name if names else ''}|{t.dtype}|{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()
