"""What can be downloaded (Sec. 4.1): the public CycleGAN/pix2pix archives of the paper's datasets, and the
manual steps for the registration-only ones (CelebA-HQ, official Cityscapes).

The reference repositories publish neither sizes nor SHA-256 sums, and this project was built offline, so
the archives record them as unknown (``None``) rather than inventing them (see :mod:`spap_lib.data.fetch`
for what is verified instead).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Archive:
    """One downloadable archive: URL path under the base, layout after extraction, size and SHA-256."""

    name: str
    path: str
    layout: str
    size: int | None = None  # bytes; None = not published (verified by Content-Length + recorded hash)
    sha256: str | None = None  # None = not published (trust on first use, see module docstring)

    @property
    def filename(self) -> str:
        return posixpath.basename(self.path)


_ALIGNED = "pix2pix aligned: {}/ of A|B images"
REGISTRY: dict[str, Archive] = {
    "facades": Archive("facades", "pix2pix/datasets/facades.tar.gz", _ALIGNED.format("train/ val/ test")),
    "maps": Archive("maps", "pix2pix/datasets/maps.tar.gz", _ALIGNED.format("train/ val")),
    "cityscapes": Archive("cityscapes", "pix2pix/datasets/cityscapes.tar.gz", _ALIGNED.format("train/ val")),
    "horse2zebra": Archive(
        "horse2zebra",
        "cyclegan/datasets/horse2zebra.zip",
        "CycleGAN unaligned: trainA/ trainB/ testA/ testB/",
    ),
}

MANUAL: dict[str, str] = {
    "celeba_hq": """\
CelebA-HQ (paper Table 1) needs its licence accepted, so it is not downloaded automatically.
1. Request access to CelebAMask-HQ (https://github.com/switchablenorms/CelebAMask-HQ), which contains
   CelebA-HQ-img/ (the 30,000 CelebA-HQ images, 1024x1024 JPEG); or build CelebA-HQ from CelebA with the
   dataset_tool of https://github.com/tkarras/progressive_growing_of_gans.
2. Copy the 30,000 images into {root}/celeba_hq/images/ (png or jpg; pre-resizing to 128x128 makes loading
   faster, e.g. with PIL's bicubic resize; otherwise pass size=128 to FaceDataset).
3. Nothing else: the first FaceDataset("{root}/celeba_hq") writes {root}/celeba_hq/split.json with the
   27,000 / 3,000 random split (seed 0), the same on every machine.
Expected layout:
  {root}/celeba_hq/images/0.jpg ... 29999.jpg
  {root}/celeba_hq/split.json      (written for you)""",
    "cityscapes_official": """\
The official Cityscapes (paper Table 2) needs registration, so it is not downloaded automatically.
(For the pix2pix-prepared A|B version, which is public, run: python -m spap_lib data download cityscapes)
1. Register and log in at https://www.cityscapes-dataset.com/register/
2. From https://www.cityscapes-dataset.com/downloads/ download gtFine_trainvaltest.zip (241 MB) and
   leftImg8bit_trainvaltest.zip (11 GB).
3. mkdir -p {root}/cityscapes_official && unzip gtFine_trainvaltest.zip -d {root}/cityscapes_official
   && unzip leftImg8bit_trainvaltest.zip -d {root}/cityscapes_official
Expected layout (read with spap_lib.data.CityscapesDataset(root, split="val", size=256)):
  {root}/cityscapes_official/leftImg8bit/{{train,val,test}}/<city>/<name>_leftImg8bit.png
  {root}/cityscapes_official/gtFine/{{train,val,test}}/<city>/<name>_gtFine_labelIds.png""",
}


def manual_steps(name: str, root: str | Path = "data") -> str:
    """The manual download steps and expected layout for a registration-only dataset."""
    return MANUAL[name].format(root=str(root).rstrip("/"))
