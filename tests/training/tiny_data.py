"""Tiny in-memory datasets with the agreed item formats (imported by conftest and the DDP worker)."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset


class TinyFaces(Dataset):
    """Random (3, S, S) images in [-1, 1] (the FaceDataset item format)."""

    def __init__(self, n: int = 16, size: int = 16, fill: float | None = None):
        g = torch.Generator().manual_seed(123)
        self.x = torch.rand(n, 3, size, size, generator=g) * 2 - 1
        if fill is not None:
            self.x.fill_(fill)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.x[i]


class TinyPairs(Dataset):
    """Random unpaired items {"A", "B", "A_path", "B_path"} (the UnpairedDataset item format)."""

    def __init__(self, n: int = 4, size: int = 32):
        g = torch.Generator().manual_seed(321)
        self.a = torch.rand(n, 3, size, size, generator=g) * 2 - 1
        self.b = torch.rand(n, 3, size, size, generator=g) * 2 - 1

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, i: int) -> dict:
        return {"A": self.a[i], "B": self.b[i], "A_path": f"a{i}.png", "B_path": f"b{i}.png"}
