"""SCAN networks (Li et al., "Unsupervised Image-to-Image Translation with Stacked Cycle-Consistent
Adversarial Networks", ECCV 2018 [22], Sec. 3): the two-stage CycleGAN the paper compares with in Tables 2-3.

Stage 1 (basic translation, [22] Sec. 3.1) is a CycleGAN at half resolution: the reference ResNet generator
and 70x70 PatchGAN (:mod:`spap_lib.models.cyclegan`) on 2x2-average-pooled images. Stage 2 (refinement,
[22] Sec. 3.2) works at full resolution: its generator sees the input x and the bilinearly upsampled
stage-1 translation c = up(G1(down(x))), produces a refined image r and an adaptive fusion mask m, and
outputs ``m * c + (1 - m) * r`` with m in [0, 1] (sigmoid), per pixel. Training is progressive: stage 1
first, then stage 2 with stage 1 fixed (:mod:`spap_lib.training.scan`).

Choices where our reading of [22] leaves the design open, and why:

* Stage-2 input: x and c are concatenated (6 channels) into the reference ResNet generator -- early fusion:
  every layer of the refiner sees both, and the network stays the reference one except for the first conv's
  3 extra input channels (``translator.model.*`` keeps the reference names).
* Mask head (the adaptive fusion block): 3x3 conv (9 -> ngf), ReLU, 3x3 conv (ngf -> 1), sigmoid, on
  ``cat([x, c, r])``: which of the two candidates to trust at a pixel depends on both candidates and on the
  source there; one hidden layer gives it a 5x5 view. No normalisation (a per-pixel gate).
* Up/down-sampling: 2x2 average pooling down (each stage-1 pixel is the mean of the four it covers) and
  bilinear up (``align_corners=False``), both fixed, parameter-free and deterministic.
* Stage-2 discriminators: a new pair of full-resolution PatchGANs; the stage-1 pair only ever judged
  half-resolution images and is fixed with stage 1.
* Stage-2 losses: the CycleGAN objective of the stacked translators (LSGAN on the fused output, L1 cycle
  through the stacked reverse translator, identity), nothing on the mask.

One direction at 256 px: stage 1 ResNet-6 at 128 px (the reference's choice for 128 px) 7,837,699 parameters,
stage 2 ResNet-9 with 6 input channels 11,387,587 plus the mask head 5,825; discriminators 2,764,737 per
stage. Over twice CycleGAN's size, as Table 3's note says ("much bigger models").
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from spap_lib.errors import ConfigError
from spap_lib.models.cyclegan import CycleGANGenerator, PatchGANDiscriminator


def downsample(x: torch.Tensor) -> torch.Tensor:
    """Full resolution -> stage-1 resolution: 2x2 average pooling."""
    return F.avg_pool2d(x, 2)


def upsample(x: torch.Tensor) -> torch.Tensor:
    """Stage-1 resolution -> full resolution: bilinear, ``align_corners=False``."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def patchgan_output_size(size: int, n_layers: int) -> int:
    """Side of the PatchGAN's logit map for ``size`` px inputs (``n_layers`` stride-2 4x4 convs, two stride-1)."""
    for _ in range(n_layers):
        size = (size + 2 - 4) // 2 + 1
    return size - 2


def check_patchgan_input(size: int, n_layers: int, what: str = "crop_size") -> int:
    """``size`` if a PatchGAN of ``n_layers`` leaves at least one logit on it; a one-line ConfigError if not."""
    if patchgan_output_size(size, n_layers) < 1:
        need = 3 * 2**n_layers
        raise ConfigError(
            f"{what} {size} leaves the {n_layers}-layer PatchGAN no output: use images of >= {need} px "
            "or fewer n_layers"
        )
    return size


def stage1_size(crop_size: int, n_layers: int = 3) -> int:
    """The stage-1 image side for ``crop_size`` crops; a one-line ConfigError if a stage cannot take it."""
    if crop_size % 8:
        raise ConfigError(
            f"SCAN crop_size must be divisible by 8 (stage 1 runs at crop_size / 2 through two stride-2 "
            f"convs), got {crop_size}"
        )
    return check_patchgan_input(crop_size // 2, n_layers, f"SCAN crop_size {crop_size}: its stage-1 size")


class FusionMask(nn.Module):
    """The adaptive fusion block: a per-pixel weight in [0, 1] for the upsampled stage-1 translation."""

    def __init__(self, hidden: int, image_nc: int = 3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3 * image_nc, hidden, 3, padding=1),
            nn.ReLU(True),
            nn.Conv2d(hidden, 1, 3, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor, coarse: torch.Tensor, refined: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, coarse, refined], 1))


class SCANRefiner(nn.Module):
    """The stage-2 generator: ``forward(x, coarse) = m * coarse + (1 - m) * translator(cat([x, coarse]))``."""

    def __init__(self, ngf: int = 64, n_blocks: int = 9, image_nc: int = 3):
        super().__init__()
        self.translator = CycleGANGenerator(
            "vanilla", ngf, n_blocks, input_nc=2 * image_nc, output_nc=image_nc
        )
        self.fusion = FusionMask(ngf, image_nc)

    def forward(
        self, x: torch.Tensor, coarse: torch.Tensor, return_mask: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        refined = self.translator(torch.cat([x, coarse], 1))
        mask = self.fusion(x, coarse, refined)
        out = mask * coarse + (1 - mask) * refined
        return (out, mask) if return_mask else out


class SCANGenerator(nn.Module):
    """One direction of SCAN, both stages stacked: ``x -> stage2(x, up(stage1(down(x))))``."""

    def __init__(self, stage1: CycleGANGenerator, stage2: SCANRefiner):
        super().__init__()
        self.stage1, self.stage2 = stage1, stage2

    def coarse(self, x: torch.Tensor) -> torch.Tensor:
        """The stage-1 translation of ``x``, upsampled to ``x``'s size."""
        return upsample(self.stage1(downsample(x)))

    def forward(
        self, x: torch.Tensor, return_mask: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        return self.stage2(x, self.coarse(x), return_mask=return_mask)


def build_scan(
    ngf: int = 64,
    ndf: int = 64,
    n_blocks: int = 9,
    stage1_n_blocks: int = 6,
    n_layers: int = 3,
) -> tuple[SCANGenerator, PatchGANDiscriminator, PatchGANDiscriminator]:
    """One direction's stacked generator and one domain's stage-1 and stage-2 discriminators."""
    G = SCANGenerator(CycleGANGenerator("vanilla", ngf, stage1_n_blocks), SCANRefiner(ngf, n_blocks))
    return G, PatchGANDiscriminator("vanilla", ndf, n_layers), PatchGANDiscriminator("vanilla", ndf, n_layers)
