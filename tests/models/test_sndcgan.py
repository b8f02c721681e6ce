"""SNDCGAN (compare_gan setting, Sec. 4.3): shapes, exact parameter counts, spectral norm, bad arguments."""

import inspect

import pytest
import torch
from torch.nn.utils import parametrize

from spap_lib.errors import ConfigError
from spap_lib.models import (
    ASPP,
    SPAP,
    VARIANTS,
    AtrousAugmentedConv2d,
    SNDCGANDiscriminator,
    SNDCGANGenerator,
    build_sndcgan,
    count_parameters,
)


@pytest.mark.parametrize("size", [32, 64, 128])
@pytest.mark.parametrize("variant", VARIANTS)
def test_shapes(variant, size):
    g, d = build_sndcgan(variant, img_size=size, width=0.125)
    x = g(torch.randn(2, 128))
    assert x.shape == (2, 3, size, size)
    assert x.abs().max() <= 1
    assert d(x).shape == (2, 1)


def test_module_sits_on_the_half_resolution_map():
    g = SNDCGANGenerator("spap_c2f", 128, width=0.125)
    seen = {}
    g.pyramid_pooling.register_forward_hook(lambda m, i, o: seen.update(shape=o.shape))
    g(torch.randn(2, 128))
    assert seen["shape"][-2:] == (64, 64)
    assert isinstance(g.pyramid_pooling, SPAP) and g.pyramid_pooling.order == "coarse_to_fine"
    assert isinstance(SNDCGANGenerator("aspp", 64, 0.125).pyramid_pooling, ASPP)


def test_vanilla_generator_matches_compare_gan_count():
    # compare_gan's SNDCGAN G at 128 px, BN over the 131,072-dim linear output included.
    assert count_parameters(SNDCGANGenerator("vanilla", 128)) == 19_926_019


def test_variant_parameter_deltas():
    base = count_parameters(SNDCGANGenerator("vanilla", 128, width=0.25))
    c = 32  # 128 * 0.25 channels on the 64x64 map
    branches = 4 * (9 * c * c + c) + (c * c + c)
    h = max(c // 16, 4)
    fuse = (2 * c * 9 * h + h) + (h + 1)
    assert count_parameters(SNDCGANGenerator("spap_c2f", 128, 0.25)) - base == branches + 4 * fuse + 1
    aspp = branches + (5 * c * c + c) + 2 * c
    assert count_parameters(SNDCGANGenerator("aspp", 128, 0.25)) - base == aspp


def test_discriminator_layers_and_spectral_norm():
    d = SNDCGANDiscriminator("spap_f2c", 64, width=0.25)
    convs = [m for m in d.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(convs) == 7 + 3 + 1  # seven convs, three atrous copies, the linear
    assert all(parametrize.is_parametrized(m, "weight") for m in convs)
    atrous = [m for m in d.modules() if isinstance(m, AtrousAugmentedConv2d)]
    assert len(atrous) == 1 and atrous[0].stride == (2, 2) and atrous[0].kernel_size == (4, 4)
    assert [c.dilation[0] for c in atrous[0].atrous] == [3, 5, 7]
    assert list(d.features).index(atrous[0]) == 2 * 3  # the second downsampling conv (index 3)


@pytest.mark.parametrize("sn", [True, False])
def test_generator_spectral_norm_switch(sn):
    assert inspect.signature(SNDCGANGenerator).parameters["sn"].default is True  # as the paper
    g = SNDCGANGenerator("spap_c2f", 32, 0.125, sn=sn)
    layers = [
        m for m in g.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear))
    ]
    assert all(parametrize.is_parametrized(m, "weight") == sn for m in layers)


def test_atrous_layer_output_is_the_mean_of_original_and_dilated_mean():
    layer = AtrousAugmentedConv2d(3, 4, 4, 2, 1, (3, 5, 7))
    x = torch.randn(1, 3, 32, 32)
    base = torch.nn.functional.conv2d(x, layer.weight, layer.bias, 2, 1)
    dilated = sum(c(x) for c in layer.atrous) / 3
    assert torch.allclose(layer(x), 0.5 * base + 0.5 * dilated, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"variant": "spap"}, "unknown variant"),
        ({"img_size": 60}, "divisible by 8"),
        ({"atrous_rates": (7, 5, 3)}, "strictly increasing"),
        ({"width": 0}, "width"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        SNDCGANGenerator(**{"variant": "spap_c2f", "img_size": 32, **kwargs})
