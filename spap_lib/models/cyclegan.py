"""CycleGAN networks of the reference implementation (Zhu et al. [52], pytorch-CycleGAN-and-pix2pix), with
the paper's variants.

Generator: ``ResnetGenerator`` -- reflection pad + 7x7 conv (ngf), two 3x3 stride-2 convs (2ngf, 4ngf),
``n_blocks`` residual blocks, two 3x3 stride-1/2 transposed convs (2ngf, ngf), reflection pad + 7x7 conv to 3,
tanh; instance norm (no affine, no running stats) and biases everywhere, as the reference's ``--norm instance``.
SPAP/ASPP (rates (6, 12, 18)) goes after the first upsampling layer: 128x128 with 2ngf channels at 256 px.

Discriminator: ``NLayerDiscriminator`` -- the 70x70 PatchGAN (ndf, ``n_layers`` = 3): 4x4 convs, stride 2 for
the first three, LeakyReLU(0.2), instance norm after all but the first and the last. The atrous copies
(rates (3, 5, 7)) go on the third conv, whose input is the 64x64 map at 256 px (Sec. 4.3).

Parameter names. ``self.model`` is the reference's ``nn.Sequential`` with the same indices, so the keys of a
reference checkpoint (``model.1.weight``, ``model.10.conv_block.1.weight``, ``model.5.weight`` ...) are ours
too; the added blocks live outside it (``pyramid_pooling.*`` in G, ``pyramid_pooling.*`` (ASPP) or
``model.5.atrous.*`` in D).
Load a reference ``latest_net_G_A.pth`` with ``load_state_dict(sd, strict=False)`` and check that only our
added keys are reported missing (:func:`load_reference_weights` does exactly that).
"""

from __future__ import annotations

import functools

import torch
import torch.nn as nn

from spap_lib.errors import ConfigError
from spap_lib.models.aspp import ASPP
from spap_lib.models.atrous import AtrousAugmentedConv2d
from spap_lib.models.layers import check_rates
from spap_lib.models.spap import SPAP
from spap_lib.models.variants import (
    check_variant,
    discriminator_module,
    generator_module,
    spap_order,
)

InstanceNorm = functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    """The reference residual block: pad, conv, norm, ReLU, pad, conv, norm; plus the skip."""

    def __init__(self, dim: int):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, bias=True),
            InstanceNorm(dim),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, bias=True),
            InstanceNorm(dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


def _positive(name: str, value: int) -> int:
    if int(value) <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {value}")
    return int(value)


class CycleGANGenerator(nn.Module):
    """The reference ResNet generator (9 blocks at 256 px) with SPAP/ASPP after the first upsampling."""

    def __init__(
        self,
        variant: str = "vanilla",
        ngf: int = 64,
        n_blocks: int = 9,
        atrous_rates: tuple[int, ...] = (6, 12, 18),
        input_nc: int = 3,
        output_nc: int = 3,
    ):
        super().__init__()
        self.variant = check_variant(variant)
        ngf, n_blocks = _positive("ngf", ngf), _positive("n_blocks", n_blocks)
        check_rates(atrous_rates)
        model: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(input_nc, ngf, 7, bias=True),
            InstanceNorm(ngf),
            nn.ReLU(True),
        ]
        for i in range(2):
            mult = 2**i
            model += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=True),
                InstanceNorm(ngf * mult * 2),
                nn.ReLU(True),
            ]
        model += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, 2, 1, output_padding=1, bias=True),
                InstanceNorm(ngf * mult // 2),
                nn.ReLU(True),
            ]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*model)
        self.insert_at = 4 + 6 + n_blocks + 3  # after the first upsampling layer's ReLU
        kind = generator_module(variant)
        self.pyramid_pooling: nn.Module | None = None  # SPAP, ASPP or nothing (vanilla)
        if kind == "spap":
            self.pyramid_pooling = SPAP(ngf * 2, atrous_rates, order=spap_order(variant))
        elif kind == "aspp":
            self.pyramid_pooling = ASPP(ngf * 2, atrous_rates, norm=InstanceNorm, activation=_relu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pyramid_pooling is None:
            return self.model(x)
        h = self.model[: self.insert_at](x)
        return self.model[self.insert_at :](self.pyramid_pooling(h))


class PatchGANDiscriminator(nn.Module):
    """The reference 70x70 PatchGAN; the variant's atrous copies/ASPP act on conv ``atrous_layer`` (0-based)."""

    def __init__(
        self,
        variant: str = "vanilla",
        ndf: int = 64,
        n_layers: int = 3,
        atrous_rates: tuple[int, ...] = (3, 5, 7),
        atrous_layer: int = 2,
        input_nc: int = 3,
    ):
        super().__init__()
        self.variant = check_variant(variant)
        ndf, n_layers = _positive("ndf", ndf), _positive("n_layers", n_layers)
        check_rates(atrous_rates)
        if not 1 <= atrous_layer < n_layers:
            raise ConfigError(
                f"atrous_layer must be a stride-2 conv in 1..{n_layers - 1}, got {atrous_layer}"
            )
        kind = discriminator_module(variant)
        seq: list[nn.Module] = [nn.Conv2d(input_nc, ndf, 4, 2, 1), _lrelu()]
        mult = 1
        self.insert_at = 0
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            if n == atrous_layer:
                self.insert_at = len(seq)
            if n == atrous_layer and kind == "atrous":
                conv: nn.Module = AtrousAugmentedConv2d(ndf * prev, ndf * mult, 4, 2, 1, atrous_rates)
            else:
                conv = nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=True)
            seq += [conv, InstanceNorm(ndf * mult), _lrelu()]
        prev, mult = mult, min(2**n_layers, 8)
        seq += [
            nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=True),
            InstanceNorm(ndf * mult),
            _lrelu(),
        ]
        seq += [nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*seq)
        self.pyramid_pooling: nn.Module | None = None  # ASPP on the input of conv `atrous_layer`
        if kind == "aspp":
            channels = self.model[self.insert_at].in_channels
            self.pyramid_pooling = ASPP(channels, atrous_rates, norm=InstanceNorm, activation=_lrelu)

    def layers_in_order(self) -> list[nn.Module]:
        """The modules in the order ``forward`` runs them (for receptive-field arithmetic)."""
        layers = list(self.model)
        if self.pyramid_pooling is not None:
            layers.insert(self.insert_at, self.pyramid_pooling)
        return layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pyramid_pooling is None:
            return self.model(x)
        h = self.model[: self.insert_at](x)
        return self.model[self.insert_at :](self.pyramid_pooling(h))


def _relu() -> nn.Module:
    return nn.ReLU(True)


def _lrelu() -> nn.Module:
    return nn.LeakyReLU(0.2, True)


INSTANCE_NORM_STATS = ("running_mean", "running_var", "num_batches_tracked")


def strip_instance_norm_stats(module: nn.Module, state_dict: dict[str, torch.Tensor]) -> dict:
    """``state_dict`` without the running statistics of instance-norm layers that keep none.

    Checkpoints saved by the reference code before PyTorch 0.4 carry ``running_mean``/``running_var`` (and
    later ``num_batches_tracked``) for ``InstanceNorm2d(track_running_stats=False)`` layers; the reference
    loader deletes them (``__patch_instance_norm_state_dict``), and so do we.
    """
    norms = {
        name
        for name, m in module.named_modules()
        if isinstance(m, nn.InstanceNorm2d) and not m.track_running_stats
    }
    return {
        k: v
        for k, v in state_dict.items()
        if not (k.rsplit(".", 1)[-1] in INSTANCE_NORM_STATS and k.rsplit(".", 1)[0] in norms)
    }


def load_reference_weights(module: nn.Module, state_dict: dict[str, torch.Tensor]) -> list[str]:
    """Load a reference pytorch-CycleGAN-and-pix2pix checkpoint; return the keys we add (left at init).

    Instance-norm statistics of old checkpoints are dropped first (:func:`strip_instance_norm_stats`).
    Raises :class:`ConfigError` (one line) if a tensor's shape differs -- a checkpoint of another size --
    or if the checkpoint has keys we do not know or lacks reference keys.
    """
    state_dict = strip_instance_norm_stats(module, dict(state_dict))
    ours_sd = module.state_dict()
    for key, value in state_dict.items():
        if key in ours_sd and tuple(value.shape) != tuple(ours_sd[key].shape):
            raise ConfigError(
                f"checkpoint tensor {key} has shape {tuple(value.shape)}, this network "
                f"{tuple(ours_sd[key].shape)}: build it with the checkpoint's ngf/ndf/n_blocks/n_layers"
            )
    result = module.load_state_dict(state_dict, strict=False)
    ours = [k for k in result.missing_keys if k.startswith("pyramid_pooling.") or ".atrous." in k]
    missing = sorted(set(result.missing_keys) - set(ours))
    if result.unexpected_keys or missing:
        raise ConfigError(
            f"checkpoint does not match the reference layout (unexpected: {result.unexpected_keys[:3]}, "
            f"missing: {missing[:3]}): check ngf/ndf/n_blocks/n_layers"
        )
    return ours


def build_cyclegan(
    variant: str = "vanilla",
    ngf: int = 64,
    ndf: int = 64,
    n_blocks: int = 9,
    n_layers: int = 3,
    g_rates: tuple[int, ...] = (6, 12, 18),
    d_rates: tuple[int, ...] = (3, 5, 7),
) -> tuple[CycleGANGenerator, PatchGANDiscriminator]:
    """One generator and one discriminator of a variant (a CycleGAN has two of each)."""
    return (
        CycleGANGenerator(variant, ngf, n_blocks, g_rates),
        PatchGANDiscriminator(variant, ndf, n_layers, d_rates),
    )
