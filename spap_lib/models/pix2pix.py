"""Pix2Pix networks (Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks", CVPR
2017 [17], Sec. 3.2 and appendix 6.1.1) as the reference pytorch-CycleGAN-and-pix2pix builds them: the
paired upper bound of Table 2.

Generator: ``UnetGenerator(3, 3, num_downs, ngf, norm_layer=BatchNorm2d, use_dropout=True)`` (``--netG
unet_256``): nested ``UnetSkipConnectionBlock`` levels, each a 4x4 stride-2 conv down (LeakyReLU 0.2 before
it, batch norm after it except at the outermost and innermost levels), the inner levels, then ReLU, a 4x4
stride-2 transposed conv up (batch norm after it except at the outermost level, which ends in tanh), and
the skip: the level's input concatenated to its output. Channels ngf, 2ngf, 4ngf, then 8ngf for every
deeper level; dropout 0.5 after the up path of the ``num_downs - 5`` 8ngf levels next to the innermost
(three at 256 px). Convs feeding a batch norm have no bias (the reference's ``use_bias`` rule); the
outermost up-conv has one. 54,413,955 parameters at 256 px (``num_downs = 8``, ngf 64). ``num_downs =
log2(size)`` brings the bottleneck to 1x1 as the reference's unet_256/unet_128; at the CPU sizes the U-Net
is shallower (6 levels at 64 px, 5 at 32 px, fewer dropout levels), never narrower than the reference's 5.

Parameter names: ``self.model`` is the outermost block and every block's ``self.model`` is the reference's
``nn.Sequential`` with its indices, so the keys (``model.model.0.weight``,
``model.model.1.model.3.model.3 ... .model.1.weight``) are those of a reference ``latest_net_G.pth``;
:func:`spap_lib.models.load_reference_weights` loads one.

Discriminator: the reference ``NLayerDiscriminator(6, ndf, 3, norm_layer=BatchNorm2d)`` (``--netD basic``):
the 70x70 PatchGAN of :class:`spap_lib.models.PatchGANDiscriminator` with batch norm instead of instance
norm (and so no bias in the convs it follows), conditional on the input: it judges ``cat([A, B])``, 6
channels. 2,768,705 parameters (ndf 64).

Test-time behaviour: [17] (Sec. 3.3) runs the generator at test time as in training (dropout on, batch
statistics); the reference code does so unless ``--eval``. Our loaders return modules in eval mode like
every other generator here; call ``.train()`` on the generator to get the paper's protocol.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from spap_lib.errors import ConfigError

MIN_LEVELS = 5  # the reference's fixed levels: innermost, ngf*4, ngf*2, ngf, outermost


def unet_num_downs(size: int) -> int:
    """Levels of the U-Net for ``size`` x ``size`` images: log2(size), so the bottleneck is 1x1."""
    if size < 2**MIN_LEVELS or size & (size - 1):
        raise ConfigError(
            f"U-Net image size (pix2pix crop_size) {size} is not a power of two >= {2**MIN_LEVELS}: the "
            "U-Net halves it down to 1x1 (use e.g. 32, 64 or 256)"
        )
    return int(math.log2(size))


class UnetSkipConnectionBlock(nn.Module):
    """One U-Net level of the reference: ``x -> cat([x, up(inner(down(x)))])`` (the outermost returns up(...)).

    Args:
        outer_nc: channels of the level's input (and of its up-conv output).
        inner_nc: channels after its down-conv.
        input_nc: input channels when they differ from ``outer_nc`` (the outermost level: the image).
        submodule: the next inner level (``None`` for the innermost).
        outermost, innermost: the two ends of the U.
        use_dropout: dropout 0.5 after this level's up path (intermediate levels only, as the reference).
    """

    def __init__(
        self,
        outer_nc: int,
        inner_nc: int,
        input_nc: int | None = None,
        submodule: nn.Module | None = None,
        outermost: bool = False,
        innermost: bool = False,
        use_dropout: bool = False,
    ):
        super().__init__()
        self.outermost = outermost
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, 4, 2, 1, bias=False)
        downrelu = nn.LeakyReLU(0.2, True)
        uprelu = nn.ReLU(True)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, 4, 2, 1, bias=False)
            model = [downrelu, downconv, uprelu, upconv, nn.BatchNorm2d(outer_nc)]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1, bias=False)
            down = [downrelu, downconv, nn.BatchNorm2d(inner_nc)]
            up = [uprelu, upconv, nn.BatchNorm2d(outer_nc)]
            model = down + [submodule] + up + ([nn.Dropout(0.5)] if use_dropout else [])
        self.model = nn.Sequential(*model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """The reference U-Net generator (unet_256 at ``num_downs = 8``), batch norm, dropout in the deep levels."""

    def __init__(
        self,
        input_nc: int = 3,
        output_nc: int = 3,
        num_downs: int = 8,
        ngf: int = 64,
        use_dropout: bool = True,
    ):
        super().__init__()
        if num_downs < MIN_LEVELS:
            raise ConfigError(
                f"the U-Net needs num_downs >= {MIN_LEVELS} (images of >= {2**MIN_LEVELS} px), got {num_downs}"
            )
        if ngf <= 0:
            raise ConfigError(f"ngf must be a positive integer, got {ngf}")
        self.num_downs, self.input_nc, self.output_nc = num_downs, input_nc, output_nc
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - MIN_LEVELS):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc, block, outermost=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        side = 2**self.num_downs
        if x.shape[-1] % side or x.shape[-2] % side:
            raise ConfigError(
                f"input of {tuple(x.shape[-2:])} px does not fit a {self.num_downs}-level U-Net: "
                f"use sides divisible by {side}"
            )
        return self.model(x)


class Pix2PixDiscriminator(nn.Module):
    """The reference conditional PatchGAN with batch norm: ``forward(cat([A, B], 1))`` -> patch logits.

    Same layer indices as :class:`spap_lib.models.PatchGANDiscriminator` (``model.0`` ... ``model.11`` at
    ``n_layers = 3``): 4x4 convs, stride 2 for the first ``n_layers``, LeakyReLU(0.2), batch norm after all
    but the first and the last conv, no bias in the convs followed by batch norm.
    """

    def __init__(self, input_nc: int = 6, ndf: int = 64, n_layers: int = 3):
        super().__init__()
        if ndf <= 0 or n_layers <= 0:
            raise ConfigError(f"ndf and n_layers must be positive integers, got {ndf} and {n_layers}")
        seq: list[nn.Module] = [nn.Conv2d(input_nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            seq += [
                nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * mult),
                nn.LeakyReLU(0.2, True),
            ]
        prev, mult = mult, min(2**n_layers, 8)
        seq += [
            nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=False),
            nn.BatchNorm2d(ndf * mult),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * mult, 1, 4, 1, 1),
        ]
        self.model = nn.Sequential(*seq)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def build_pix2pix(
    image_size: int = 256, ngf: int = 64, ndf: int = 64, n_layers: int = 3
) -> tuple[UnetGenerator, Pix2PixDiscriminator]:
    """The reference pix2pix pair for ``image_size`` crops: U-Net of log2(size) levels, conditional PatchGAN."""
    return UnetGenerator(3, 3, unet_num_downs(image_size), ngf), Pix2PixDiscriminator(6, ndf, n_layers)
