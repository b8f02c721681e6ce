"""Training data: datasets from a config and a stateless, seeded batch order (exact resume, DDP shards).

Batch order. Epoch ``e`` visits ``torch.randperm(N)`` drawn from a generator seeded with ``(seed, e)``, in
global batches of ``batch_size`` (the last incomplete batch is dropped, so every step has the same shape);
global step ``s`` is batch ``s % steps_per_epoch`` of epoch ``s // steps_per_epoch``. Nothing about the order
lives in a mutable RNG, so a resumed run continues at step ``s`` with exactly the batches an uninterrupted
run sees. Under DDP rank ``r`` of ``W`` takes the ``r``-th contiguous slice of ``batch_size / W`` indices of
each global batch, so W processes see the same global batches as one.

Datasets. ``data_source="synthetic"`` builds the stand-ins with :func:`spap_lib.data.synthesize` (cached
under ``data_root``); ``"folder"`` reads a real dataset folder. Items: a (3, H, W) tensor in [-1, 1] for the
GAN; a dict with "A" and "B" tensors for CycleGAN and SCAN (unpaired draws) and for Pix2Pix (aligned pairs,
the same crop and flip on both halves; "A" is the input of the configured ``direction``) -- the agreed
:mod:`spap_lib.data` formats.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from spap_lib.errors import ConfigError, DataError
from spap_lib.training.config import Config, CycleGANConfig, Pix2PixConfig, resolved_data_root


def build_dataset(config: Config) -> Dataset:
    """The training dataset a config names (see the module docstring)."""
    try:
        from spap_lib import data as spap_data
    except ImportError as exc:  # pragma: no cover - the data package ships with the library
        raise DataError(f"spap_lib.data is not importable ({exc}): reinstall the package") from exc
    root = resolved_data_root(config)
    if isinstance(config, Pix2PixConfig):
        if config.data_source == "synthetic":
            root = spap_data.synthesize(
                config.dataset,
                root=root,
                size=config.load_size,
                n=config.data_n,
                seed=config.data_seed,
            )
        return spap_data.PairedDataset(
            root,
            phase="train",
            direction=config.direction,
            train=True,
            load_size=config.load_size,
            crop_size=config.crop_size,
            seed=config.seed,
        )
    if isinstance(config, CycleGANConfig):
        if config.data_source == "synthetic":
            root = spap_data.synthesize(
                config.dataset,
                root=root,
                size=config.load_size,
                n=config.data_n,
                seed=config.data_seed,
            )
        return spap_data.UnpairedDataset(
            root,
            phase="train",
            direction=config.direction,
            load_size=config.load_size,
            crop_size=config.crop_size,
            train=True,
            seed=config.seed,
        )
    if config.data_source == "synthetic":
        root = spap_data.synthesize(
            "faces", root=root, size=config.image_size, n=config.data_n, seed=config.data_seed
        )
    return spap_data.FaceDataset(root, split="train", size=config.image_size)


class BatchSchedule(Sampler[list[int]]):
    """Index lists of this rank's share of each global batch, from global step ``start`` to ``stop``."""

    def __init__(
        self,
        n: int,
        batch_size: int,
        seed: int,
        start: int,
        stop: int,
        rank: int = 0,
        world: int = 1,
        max_steps_per_epoch: int = 0,
    ):
        if batch_size % world:
            raise ConfigError(
                f"batch_size {batch_size} is not divisible by the {world} processes: change batch_size"
            )
        if n < batch_size:
            raise DataError(
                f"dataset has {n} items, fewer than one batch of {batch_size}: lower batch_size or add data"
            )
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.start, self.stop, self.rank, self.world = start, stop, rank, world
        self.steps_per_epoch = n // batch_size
        if max_steps_per_epoch:
            self.steps_per_epoch = min(self.steps_per_epoch, max_steps_per_epoch)
        self._perm_epoch = -1
        self._perm = torch.empty(0, dtype=torch.long)

    def _permutation(self, epoch: int) -> torch.Tensor:
        if epoch != self._perm_epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perm, self._perm_epoch = torch.randperm(self.n, generator=g), epoch
        return self._perm

    def batch(self, step: int) -> list[int]:
        epoch, i = divmod(step, self.steps_per_epoch)
        perm = self._permutation(epoch)
        glob = perm[i * self.batch_size : (i + 1) * self.batch_size]
        local = self.batch_size // self.world
        return glob[self.rank * local : (self.rank + 1) * local].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start, self.stop):
            yield self.batch(step)

    def __len__(self) -> int:
        return max(0, self.stop - self.start)


def make_loader(
    dataset: Dataset,
    schedule: BatchSchedule,
    num_workers: int,
    pin: bool,
    generator: torch.Generator,
) -> DataLoader:
    """A loader over ``schedule``; ``generator`` seeds worker base seeds without touching the global RNG
    (a DataLoader otherwise draws from it on every ``iter()``, which would shift a resumed run)."""
    return DataLoader(
        dataset,
        batch_sampler=schedule,
        num_workers=num_workers,
        pin_memory=pin,
        collate_fn=_collate,
        generator=generator,
    )


def _collate(items: list[Any]) -> Any:
    first = items[0]
    if isinstance(first, (tuple, list)):  # (image, label) style: keep the image
        items = [it[0] for it in items]
    return torch.utils.data.default_collate(items)
