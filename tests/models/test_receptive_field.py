"""Receptive fields (Sec. 4.6): arithmetic from the modules equals the input-gradient support."""

import pytest
import torch

from spap_lib.models import (
    VARIANTS,
    PatchGANDiscriminator,
    SNDCGANDiscriminator,
    discriminator_receptive_field,
)


def _gradient_support(features, size: int) -> int:
    """Width of the input region that one central output unit depends on."""
    x = torch.randn(1, 3, size, size, requires_grad=True)
    out = features(x)
    h, w = out.shape[-2:]
    out[0, :, h // 2, w // 2].sum().backward()
    cols = (x.grad[0].abs().sum(dim=(0, 1)) > 0).nonzero().flatten()
    rows = (x.grad[0].abs().sum(dim=(0, 2)) > 0).nonzero().flatten()
    assert cols.min() > 0 and cols.max() < size - 1, "input too small: the support touches the border"
    width = int(cols.max() - cols.min() + 1)
    assert width == int(rows.max() - rows.min() + 1)
    return width


@pytest.mark.parametrize("variant", VARIANTS)
def test_sndcgan_d(variant):
    d = SNDCGANDiscriminator(variant, 64, width=0.0625)
    assert _gradient_support(d.features, 192) == discriminator_receptive_field(d)


@pytest.mark.parametrize("variant", VARIANTS)
def test_patchgan(variant):
    d = PatchGANDiscriminator(variant, ndf=2)
    # Instance norm couples every pixel through its statistics; the receptive field is about the convs.
    for module in list(d.modules()):
        for name, child in module.named_children():
            if isinstance(child, torch.nn.InstanceNorm2d):
                setattr(module, name, torch.nn.Identity())
    size = 320
    assert _gradient_support(d, size) == discriminator_receptive_field(d)


def test_known_values():
    assert discriminator_receptive_field(SNDCGANDiscriminator("vanilla", 128)) == 52
    assert discriminator_receptive_field(SNDCGANDiscriminator("spap_c2f", 128)) == 88
    assert discriminator_receptive_field(SNDCGANDiscriminator("spap_c2f", 128, atrous_layer=4)) == 100
    assert discriminator_receptive_field(PatchGANDiscriminator("vanilla")) == 70
    assert discriminator_receptive_field(PatchGANDiscriminator("spap_c2f")) == 142
