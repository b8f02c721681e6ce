"""SNDCGAN generator and discriminator as in compare_gan (Kurach et al. [20]), with the paper's variants.

Generator (Sec. 4.3, compare_gan ``dcgan`` at 128 px): z (128) -> linear to (S/8)^2 * 512 -> BatchNorm over
the flat vector -> ReLU -> reshape -> three 4x4 stride-2 transposed convs (256, 128, 64), each BN + ReLU ->
3x3 conv to 3 -> tanh. 19,926,019 trainable parameters at 128 px (the paper reports 20.065M, 0.7% more;
its extra parameters cannot be derived from the described architecture).
The SPAP/ASPP block goes after the second transposed conv (64x64 at 128 px, S/2 in general).
Variant ``selfmod`` (Table 1's SELF-MOD [8]) replaces every one of the four BNs by a self-modulated BN
(:mod:`spap_lib.models.selfmod`): ``bn0`` and ``upK.1`` then take ``(h, z)``.

Discriminator: conv3x3 64, conv4x4/2 128, conv3x3 128, conv4x4/2 256, conv3x3 256, conv4x4/2 512, conv3x3 512,
each followed by LeakyReLU(0.1), then linear -> 1; spectral norm on every layer. The atrous copies (or ASPP)
go on the second downsampling layer, conv index 3, whose input is the 64x64 map at 128 px (Sec. 4.3, 4.6).

``width`` scales every channel count (CPU presets); any image size divisible by 8 works.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from spap_lib.errors import ConfigError
from spap_lib.models.aspp import ASPP
from spap_lib.models.atrous import AtrousAugmentedConv2d
from spap_lib.models.layers import check_rates, maybe_sn
from spap_lib.models.selfmod import SelfModulatedBatchNorm
from spap_lib.models.spap import SPAP
from spap_lib.models.variants import (
    check_variant,
    discriminator_module,
    generator_module,
    generator_norm,
    spap_order,
)

# (kernel, stride, out_channels) of the seven discriminator convs.
D_LAYERS = (
    (3, 1, 64),
    (4, 2, 128),
    (3, 1, 128),
    (4, 2, 256),
    (3, 1, 256),
    (4, 2, 512),
    (3, 1, 512),
)
D_ATROUS_LAYER = 3  # the second downsampling layer


def _check_size(img_size: int) -> int:
    if img_size < 8 or img_size % 8:
        raise ConfigError(f"image size {img_size} is not divisible by 8: use e.g. 32, 64 or 128")
    return img_size


def _ch(channels: int, width: float) -> int:
    if width <= 0:
        raise ConfigError(f"width multiplier must be > 0, got {width}")
    return max(1, round(channels * width))


class SNDCGANGenerator(nn.Module):
    """compare_gan's SNDCGAN generator; ``variant`` inserts SPAP/ASPP after the second upsampling or
    self-modulates every BN (``selfmod``)."""

    def __init__(
        self,
        variant: str = "vanilla",
        img_size: int = 128,
        width: float = 1.0,
        z_dim: int = 128,
        sn: bool = True,
        atrous_rates: tuple[int, ...] = (3, 5, 7),
    ):
        super().__init__()
        self.variant, self.img_size, self.z_dim = (
            check_variant(variant, "gan"),
            _check_size(img_size),
            z_dim,
        )
        check_rates(atrous_rates)
        c8, c4, c2, c1 = (_ch(c, width) for c in (512, 256, 128, 64))
        self.base = img_size // 8
        self.c8 = c8
        self.self_modulated = generator_norm(variant) == "self_modulated"
        flat = self.base * self.base * c8
        self.linear = maybe_sn(nn.Linear(z_dim, flat), sn)
        if self.self_modulated:
            self.bn0: nn.Module = SelfModulatedBatchNorm(flat, z_dim, spatial=False, sn=sn)
        else:
            self.bn0 = nn.BatchNorm1d(flat)
        self.up1 = self._up(c8, c4, sn, self._norm(c4, sn))
        self.up2 = self._up(c4, c2, sn, self._norm(c2, sn))
        kind = generator_module(variant)
        self.pyramid_pooling: nn.Module | None = None  # SPAP, ASPP or nothing (vanilla)
        if kind == "spap":
            self.pyramid_pooling = SPAP(c2, atrous_rates, order=spap_order(variant), sn=sn)
        elif kind == "aspp":
            self.pyramid_pooling = ASPP(c2, atrous_rates, norm=nn.BatchNorm2d, activation=nn.ReLU, sn=sn)
        self.up3 = self._up(c2, c1, sn, self._norm(c1, sn))
        self.to_rgb = maybe_sn(nn.Conv2d(c1, 3, 3, padding=1), sn)

    def _norm(self, channels: int, sn: bool) -> nn.Module:
        if self.self_modulated:
            return SelfModulatedBatchNorm(channels, self.z_dim, spatial=True, sn=sn)
        return nn.BatchNorm2d(channels)

    @staticmethod
    def _up(cin: int, cout: int, sn: bool, norm: nn.Module) -> nn.Sequential:
        return nn.Sequential(
            maybe_sn(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), sn),
            norm,
            nn.ReLU(inplace=True),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.self_modulated:
            return self._forward_self_modulated(z)
        h = torch.relu(self.bn0(self.linear(z)))
        h = h.view(z.shape[0], self.c8, self.base, self.base)
        h = self.up2(self.up1(h))
        if self.pyramid_pooling is not None:
            h = self.pyramid_pooling(h)
        return torch.tanh(self.to_rgb(self.up3(h)))

    def _forward_self_modulated(self, z: torch.Tensor) -> torch.Tensor:
        """The same layers, every BN given z (SELF-MOD has no pyramid block)."""

        def up(block: nn.Sequential, h: torch.Tensor) -> torch.Tensor:
            conv, norm, act = block
            return act(norm(conv(h), z))

        h = torch.relu(self.bn0(self.linear(z), z))
        h = h.view(z.shape[0], self.c8, self.base, self.base)
        return torch.tanh(self.to_rgb(up(self.up3, up(self.up2, up(self.up1, h)))))


class SNDCGANDiscriminator(nn.Module):
    """compare_gan's SNDCGAN discriminator with spectral norm on every layer.

    ``atrous_layer`` (default 3, the second downsampling layer as in the paper) picks which conv gets the
    atrous copies or the ASPP; index 4 (the 3x3 conv on the S/4 map) is the only placement that reproduces
    the receptive field of 100 claimed in Sec. 4.6, and is offered so the book can show it.
    """

    def __init__(
        self,
        variant: str = "vanilla",
        img_size: int = 128,
        width: float = 1.0,
        atrous_rates: tuple[int, ...] = (3, 5, 7),
        atrous_layer: int = D_ATROUS_LAYER,
        sn: bool = True,
    ):
        super().__init__()
        self.variant, self.img_size = check_variant(variant, "gan"), _check_size(img_size)
        check_rates(atrous_rates)
        if not 0 <= atrous_layer < len(D_LAYERS):
            raise ConfigError(f"atrous_layer must be in 0..{len(D_LAYERS) - 1}, got {atrous_layer}")
        kind = discriminator_module(variant)
        layers: list[nn.Module] = []
        cin = 3
        for i, (k, s, c) in enumerate(D_LAYERS):
            cout = _ch(c, width)
            if i == atrous_layer and kind == "aspp":
                layers += [ASPP(cin, atrous_rates, norm=None, activation=_lrelu, sn=sn)]
            if i == atrous_layer and kind == "atrous":
                conv = AtrousAugmentedConv2d(cin, cout, k, s, 1, atrous_rates=atrous_rates, sn=sn)
                layers += [maybe_sn(conv, sn)]
            else:
                layers += [maybe_sn(nn.Conv2d(cin, cout, k, s, padding=1), sn)]
            layers += [_lrelu()]
            cin = cout
        self.features = nn.Sequential(*layers)
        self.linear = maybe_sn(nn.Linear((img_size // 8) ** 2 * cin, 1), sn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.features(x).flatten(1))


def _lrelu() -> nn.Module:
    return nn.LeakyReLU(0.1, inplace=True)


def build_sndcgan(
    variant: str = "vanilla",
    img_size: int = 128,
    width: float = 1.0,
    z_dim: int = 128,
    sn_generator: bool = True,
) -> tuple[SNDCGANGenerator, SNDCGANDiscriminator]:
    """Build the (G, D) pair of one variant of Table 1."""
    return (
        SNDCGANGenerator(variant, img_size, width, z_dim, sn=sn_generator),
        SNDCGANDiscriminator(variant, img_size, width),
    )
