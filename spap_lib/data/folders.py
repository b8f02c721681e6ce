"""Torch Datasets over the on-disk layouts of the paper's data (Sec. 4.1) and of the synthetic stand-ins.

* ``FaceDataset``: CelebA-HQ as a folder of images (``<root>/images/*`` or images directly in ``<root>``)
  with a train/test split file ``<root>/split.json``. The paper splits 30,000 images 27,000 / 3,000 at
  random without publishing the split; ours is made once by :func:`make_face_split` (sorted file names,
  ``numpy.random.default_rng(seed).permutation``, test fraction 0.1 -> 27,000 / 3,000) and written next to
  the images, so it is the same on every machine.
* ``UnpairedDataset``: CycleGAN training data, from the unaligned layout (``trainA/ trainB/ testA/ testB/``)
  or from pix2pix's aligned layout (``train/ val/ test/`` of A|B images), where B is taken from another,
  independently drawn file so that training stays unpaired.
* ``PairedDataset``: aligned A|B pairs (pix2pix layout) for evaluation with ground truth (Tables 2-3).
Items are float32 tensors (3, H, W) in [-1, 1]. Randomness (crop, flip, the B draw) comes from
``numpy.random.default_rng([seed, epoch, index])``: reproducible in any DataLoader worker; call
``set_epoch`` each epoch for fresh augmentation.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from spap_lib.data.images import load_rgb, split_ab, to_tensor
from spap_lib.data.transforms import check_sizes, draw_params, eval_transform, train_transform
from spap_lib.errors import ConfigError, DataError
from spap_lib.io import atomic_write_text, list_images, read_json_checked

SPLIT_FILE = "split.json"
ALIGNED = "pix2pix aligned layout: <root>/{phase}/*.png, each image A|B side by side"
UNALIGNED = "CycleGAN unaligned layout: <root>/{phase}A/*.png and <root>/{phase}B/*.png"


def _require_dir(root: Path, what: str) -> None:
    if not root.exists():
        raise DataError(f"{what} root {root} does not exist; create it, download or synthesize the data")
    if not root.is_dir():
        raise DataError(f"{what} root {root} is not a folder")


def _check_direction(direction: str) -> None:
    if direction not in ("AtoB", "BtoA"):
        raise ConfigError(f"direction must be 'AtoB' or 'BtoA', got {direction!r}")


def face_image_dir(root: str | Path) -> Path:
    root = Path(root)
    _require_dir(root, "face dataset")
    return root / "images" if (root / "images").is_dir() else root


def compute_face_split(names: list[str], test_fraction: float = 0.1, seed: int = 0) -> dict:
    """The random split of sorted ``names``: round(N * test_fraction) test images, the rest train."""
    if not 0 < test_fraction < 1:
        raise ConfigError(f"test_fraction must be in (0, 1), got {test_fraction}")
    names = sorted(names)
    perm = np.random.default_rng(seed).permutation(len(names))
    n_test = int(round(len(names) * test_fraction))
    test = sorted(names[i] for i in perm[:n_test])
    train = sorted(names[i] for i in perm[n_test:])
    return {"seed": seed, "test_fraction": test_fraction, "train": train, "test": test}


def make_face_split(root: str | Path, test_fraction: float = 0.1, seed: int = 0) -> Path:
    """Write ``<root>/split.json`` for the face images under ``root`` (atomically) and return its path."""
    folder = face_image_dir(root)
    names = [p.name for p in list_images(folder)]
    if not names:
        raise DataError(f"no images in {folder}; expected CelebA-HQ layout <root>/images/*.png|jpg")
    path = Path(root) / SPLIT_FILE
    atomic_write_text(path, json.dumps(compute_face_split(names, test_fraction, seed), indent=0))
    return path


class FaceDataset(Dataset):
    """CelebA-HQ-style faces: ``ds[i]`` is a float32 (3, size, size) tensor in [-1, 1].

    ``split`` is "train", "test" or "all". A missing split file is created (27k/3k for 30k images);
    if ``root`` is read-only the same split is computed in memory.
    """

    def __init__(
        self, root: str | Path, split: str = "train", size: int | None = None, seed: int = 0
    ) -> None:
        if split not in ("train", "test", "all"):
            raise ConfigError(f"split must be 'train', 'test' or 'all', got {split!r}")
        self.root, self.size = Path(root), size
        folder = face_image_dir(self.root)
        present = {p.name for p in list_images(folder)}
        if not present:
            raise DataError(
                f"no images in {folder}; expected CelebA-HQ layout <root>/images/*.png|jpg (+ split.json)"
            )
        split_path = self.root / SPLIT_FILE
        if split_path.is_file():
            fix = "delete it to remake it"
            table = read_json_checked(split_path, dict, fix, keys=("train", "test"))
            for key in ("train", "test"):
                if not isinstance(table[key], list) or not all(isinstance(x, str) for x in table[key]):
                    raise DataError(
                        f"{split_path}: {key!r} is a {type(table[key]).__name__}, not a list of image file "
                        f"names: {fix}"
                    )
        else:
            table = compute_face_split(sorted(present), 0.1, seed)
            # a read-only dataset keeps the in-memory split, which is the same one
            with contextlib.suppress(OSError):
                atomic_write_text(split_path, json.dumps(table, indent=0))
        names = table["train"] + table["test"] if split == "all" else table[split]
        missing = [x for x in names if x not in present]
        if missing:
            raise DataError(
                f"{split_path} lists {len(missing)} images missing from {folder} (e.g. {missing[0]}); "
                "restore them or delete the split file to remake it"
            )
        if not names:
            raise DataError(f"the {split!r} split of {self.root} is empty; check {split_path}")
        self.paths = [folder / x for x in names]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> torch.Tensor:
        return to_tensor(eval_transform(load_rgb(self.paths[i]), self.size))


def _aligned_paths(root: Path, phase: str) -> list[Path]:
    paths = list_images(root / phase)
    if not paths:
        raise DataError(f"split {root / phase} is empty; expected {ALIGNED.format(phase=phase)}")
    return paths


class UnpairedDataset(Dataset):
    """CycleGAN training/eval data: {"A", "B", "A_path", "B_path"}; A and B drawn independently.

    Length is max(|A|, |B|) as in the reference ``UnalignedDataset``; item i holds A[i % |A|] and a B
    drawn from (seed, epoch, i). ``train=True`` applies the resize-crop-flip recipe with independent
    parameters for A and B; ``train=False`` only resizes to ``crop_size``.
    """

    def __init__(
        self,
        root: str | Path,
        phase: str = "train",
        direction: str = "AtoB",
        load_size: int = 286,
        crop_size: int = 256,
        train: bool = True,
        seed: int = 0,
    ) -> None:
        _check_direction(direction)
        check_sizes(load_size, crop_size)
        self.root = Path(root)
        _require_dir(self.root, "image-translation dataset")
        self.load_size, self.crop_size, self.train, self.seed, self.epoch = (
            load_size,
            crop_size,
            train,
            seed,
            0,
        )
        self.direction = direction
        da, db = self.root / f"{phase}A", self.root / f"{phase}B"
        if da.is_dir() and db.is_dir():
            self.aligned = False
            a, b = list_images(da), list_images(db)
            for folder, paths in ((da, a), (db, b)):
                if not paths:
                    raise DataError(f"split {folder} is empty; expected {UNALIGNED.format(phase=phase)}")
            self.A_paths, self.B_paths = (a, b) if direction == "AtoB" else (b, a)
        elif (self.root / phase).is_dir():
            self.aligned = True
            self.A_paths = self.B_paths = _aligned_paths(self.root, phase)
        else:
            raise DataError(
                f"{self.root} has no {phase}A/ + {phase}B/ and no {phase}/; expected the "
                f"{UNALIGNED.format(phase=phase)} or the {ALIGNED.format(phase=phase)}"
            )

    def set_epoch(self, epoch: int) -> None:
        """Use fresh (still seeded) crops, flips and B draws for this epoch."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return max(len(self.A_paths), len(self.B_paths))

    def _half(self, path: Path, side: str):
        img = load_rgb(path)
        if not self.aligned:
            return img
        a, b = split_ab(img, path)
        first = a if self.direction == "AtoB" else b
        second = b if self.direction == "AtoB" else a
        return first if side == "A" else second

    def __getitem__(self, i: int) -> dict:
        rng = np.random.default_rng([self.seed, self.epoch, i])
        pa = self.A_paths[i % len(self.A_paths)]
        pb = self.B_paths[int(rng.integers(len(self.B_paths)))]
        out = {"A_path": str(pa), "B_path": str(pb)}
        for key, path in (("A", pa), ("B", pb)):
            img = self._half(path, key)
            if self.train:
                p = draw_params(rng, self.load_size, self.crop_size)
                img = train_transform(img, p, self.load_size, self.crop_size)
            else:
                img = eval_transform(img, self.crop_size)
            out[key] = to_tensor(img)
        return out


class PairedDataset(Dataset):
    """Aligned A|B pairs of pix2pix's layout: {"A", "B", "path"}, for evaluation against ground truth.

    ``size`` resizes both halves (bicubic, no randomness). ``train=True`` instead applies the
    resize-crop-flip recipe with the *same* parameters to A and B (pix2pix training).
    """

    def __init__(
        self,
        root: str | Path,
        phase: str = "test",
        direction: str = "AtoB",
        size: int | None = None,
        train: bool = False,
        load_size: int = 286,
        crop_size: int = 256,
        seed: int = 0,
    ) -> None:
        _check_direction(direction)
        if train:
            check_sizes(load_size, crop_size)
        self.root = Path(root)
        _require_dir(self.root, "paired dataset")
        if not (self.root / phase).is_dir():
            raise DataError(f"{self.root} has no {phase}/ folder; expected {ALIGNED.format(phase=phase)}")
        self.paths = _aligned_paths(self.root, phase)
        self.direction, self.size, self.train = direction, size, train
        self.load_size, self.crop_size, self.seed, self.epoch = load_size, crop_size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> dict:
        path = self.paths[i]
        a, b = split_ab(load_rgb(path), path)
        if self.direction == "BtoA":
            a, b = b, a
        if self.train:
            p = draw_params(np.random.default_rng([self.seed, self.epoch, i]), self.load_size, self.crop_size)
            a, b = (train_transform(t, p, self.load_size, self.crop_size) for t in (a, b))
        else:
            a, b = eval_transform(a, self.size), eval_transform(b, self.size)
        return {"A": to_tensor(a), "B": to_tensor(b), "path": str(path)}
