"""Networks of the paper: SPAP, ASPP, atrous discriminator layers, SNDCGAN and CycleGAN with every variant,
and the baselines it compares with: SELF-MOD (self-modulated BN), Pix2Pix and SCAN."""

import torch.nn as nn

from spap_lib.models.aspp import ASPP
from spap_lib.models.atrous import AtrousAugmentedConv2d
from spap_lib.models.attention import capture_attention
from spap_lib.models.cyclegan import (
    CycleGANGenerator,
    PatchGANDiscriminator,
    build_cyclegan,
    load_reference_weights,
)
from spap_lib.models.freeze import pyramid_parameters, set_pyramid_trainable
from spap_lib.models.pix2pix import (
    Pix2PixDiscriminator,
    UnetGenerator,
    UnetSkipConnectionBlock,
    build_pix2pix,
    unet_num_downs,
)
from spap_lib.models.pyramid import AtrousPyramid
from spap_lib.models.receptive_field import discriminator_receptive_field, receptive_field
from spap_lib.models.scan import FusionMask, SCANGenerator, SCANRefiner, build_scan
from spap_lib.models.selfmod import SelfModulatedBatchNorm
from spap_lib.models.sndcgan import SNDCGANDiscriminator, SNDCGANGenerator, build_sndcgan
from spap_lib.models.spap import SPAP, AttentiveFuse
from spap_lib.models.variants import (
    CYCLEGAN_LABELS,
    SNDCGAN_LABELS,
    VARIANTS,
    check_variant,
    variants_for,
)


def count_parameters(module: nn.Module) -> int:
    """Learnable parameters (spectral-norm u/v and BN running stats are buffers, not counted).

    Frozen pyramid parameters are counted: they are trainable, only later (the paper's Table 1 count).
    """
    return sum(p.numel() for p in module.parameters())


__all__ = [
    "ASPP",
    "SPAP",
    "VARIANTS",
    "SNDCGAN_LABELS",
    "CYCLEGAN_LABELS",
    "AtrousAugmentedConv2d",
    "AtrousPyramid",
    "AttentiveFuse",
    "CycleGANGenerator",
    "FusionMask",
    "PatchGANDiscriminator",
    "Pix2PixDiscriminator",
    "SCANGenerator",
    "SCANRefiner",
    "SNDCGANDiscriminator",
    "SNDCGANGenerator",
    "SelfModulatedBatchNorm",
    "UnetGenerator",
    "UnetSkipConnectionBlock",
    "build_cyclegan",
    "build_pix2pix",
    "build_scan",
    "build_sndcgan",
    "capture_attention",
    "check_variant",
    "count_parameters",
    "discriminator_receptive_field",
    "load_reference_weights",
    "pyramid_parameters",
    "receptive_field",
    "set_pyramid_trainable",
    "unet_num_downs",
    "variants_for",
]
