"""The reference CycleGAN image pool (Shrivastava et al.): D sees a history of 50 generated images.

Same logic as the reference ``ImagePool.query``: while the pool is not full, store and return the new image;
afterwards, with probability 1/2 return a random stored image and put the new one in its place, else return
the new image. Our random draws come from a seeded ``torch.Generator`` (saved in checkpoints) instead of the
global ``random`` module, so a resumed run draws exactly what an uninterrupted one would.
"""

from __future__ import annotations

from typing import Any

import torch


class ImagePool:
    """History buffer of generated images; ``pool_size = 0`` disables it."""

    def __init__(self, pool_size: int, seed: int = 0):
        self.pool_size = pool_size
        self.images: list[torch.Tensor] = []
        self.generator = torch.Generator().manual_seed(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.pool_size == 0:
            return images
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.pool_size:
                self.images.append(image.cpu().clone())
                out.append(image)
                continue
            if torch.rand(1, generator=self.generator).item() > 0.5:
                idx = int(torch.randint(0, self.pool_size, (1,), generator=self.generator))
                old = self.images[idx].to(images.device)
                self.images[idx] = image.cpu().clone()
                out.append(old)
            else:
                out.append(image)
        return torch.cat(out, 0)

    def state_dict(self) -> dict[str, Any]:
        return {
            "pool_size": self.pool_size,
            "images": list(self.images),
            "generator": self.generator.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pool_size = int(state["pool_size"])
        self.images = [t.clone() for t in state["images"]]
        self.generator.set_state(state["generator"])


def gather_pool(pool: ImagePool, world: int) -> list[dict[str, Any]]:
    """Every rank's pool state (rank order) for a checkpoint; each rank restores its own."""
    state = pool.state_dict()
    if world == 1:
        return [state]
    import torch.distributed as dist

    out: list = [None] * world
    dist.all_gather_object(out, state)
    return out
