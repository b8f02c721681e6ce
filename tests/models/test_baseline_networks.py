"""The baselines of Tables 1-3 as networks: SELF-MOD (SNDCGAN with self-modulated BN, Chen et al. [8]),
Pix2Pix (reference U-Net + conditional PatchGAN, Isola et al. [17]) and SCAN (two stacked CycleGANs with a
fusion mask, Li et al. [22]): shapes at every preset size, parameter counts at paper scale computed here
layer by layer from the published architectures, and the behaviour each design promises."""

import pytest
import torch
import torch.nn as nn

from spap_lib.errors import ConfigError
from spap_lib.models import (
    VARIANTS,
    CycleGANGenerator,
    PatchGANDiscriminator,
    Pix2PixDiscriminator,
    SCANGenerator,
    SelfModulatedBatchNorm,
    SNDCGANDiscriminator,
    SNDCGANGenerator,
    UnetGenerator,
    UnetSkipConnectionBlock,
    build_pix2pix,
    build_scan,
    build_sndcgan,
    check_variant,
    count_parameters,
    load_reference_weights,
    unet_num_downs,
    variants_for,
)
from spap_lib.models.scan import stage1_size


def conv(cin: int, cout: int, k: int, bias: bool = True) -> int:
    """Parameters of a k x k (transposed) convolution."""
    return cin * cout * k * k + (cout if bias else 0)


def one_line_error(fn, *args, match: str, **kwargs) -> None:
    with pytest.raises(ConfigError, match=match) as err:
        fn(*args, **kwargs)
    assert "\n" not in str(err.value)


# --- SELF-MOD ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size, width", [(16, 1 / 16), (32, 0.25), (64, 0.125), (128, 0.125)])
def test_selfmod_shapes_at_every_preset_size(size, width):
    # gan presets: smoke 16 px width 1/16, cpu 32 px width 0.25, paper 128 px (narrowed here for speed)
    g, d = build_sndcgan("selfmod", img_size=size, width=width)
    x = g(torch.rand(3, 128) * 2 - 1)
    assert x.shape == (3, 3, size, size) and x.abs().max() <= 1
    assert d(x).shape == (3, 1)


def test_selfmod_modulates_every_generator_bn_and_nothing_else():
    g = SNDCGANGenerator("selfmod", 32, 0.25)
    modulated = [m for m in g.modules() if isinstance(m, SelfModulatedBatchNorm)]
    assert len(modulated) == 4  # the BN over the linear output and the three after the upsamplings
    assert g.bn0 is modulated[0] and [g.up1[1], g.up2[1], g.up3[1]] == modulated[1:]
    plain = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert len(plain) == 4 and not any(m.affine for m in plain)  # the BNs inside, without own affine
    assert g.pyramid_pooling is None
    # D is the vanilla SNDCGAN discriminator
    assert count_parameters(SNDCGANDiscriminator("selfmod", 32, 0.25)) == count_parameters(
        SNDCGANDiscriminator("vanilla", 32, 0.25)
    )


def test_selfmod_parameter_count_at_paper_scale():
    # compare_gan's SNDCGAN G at 128 px has 19,926,019 (test_sndcgan.py); SELF-MOD removes the four BN affines
    # (2 x features each) and adds per BN an MLP z(128) -> 32 (ReLU) -> scale, offset (features each), the BN
    # over the linear output having 16 x 16 x 512 = 131,072 features.
    z, hidden = 128, 32
    features = (16 * 16 * 512, 256, 128, 64)
    mlp = sum((z * hidden + hidden) + 2 * (hidden * c + c) for c in features)
    expected = 19_926_019 - sum(2 * c for c in features) + mlp
    assert expected == 28_359_811
    assert count_parameters(SNDCGANGenerator("selfmod", 128)) == expected


def test_scale_and_offset_depend_on_z():
    torch.manual_seed(1)
    bn = SelfModulatedBatchNorm(8, z_dim=16)
    z1, z2 = torch.randn(4, 16), torch.randn(4, 16)
    s1, o1 = bn.modulation(z1)
    s2, o2 = bn.modulation(z2)
    assert s1.shape == o1.shape == (4, 8)
    assert not torch.allclose(s1, s2) and not torch.allclose(o1, o2)
    assert not torch.allclose(s1[0], s1[1])  # per sample, inside one batch
    x = torch.randn(4, 8, 5, 5)
    assert not torch.allclose(bn(x, z1), bn(x, z2))
    normed = nn.functional.batch_norm(x, None, None, training=True, eps=bn.norm.eps)
    assert torch.allclose(bn(x, z1), normed * s1[:, :, None, None] + o1[:, :, None, None], atol=1e-5)


def test_generator_output_depends_on_z_through_the_bns():
    torch.manual_seed(2)
    g = SNDCGANGenerator("selfmod", 16, 1 / 16, sn=False)
    z = torch.rand(6, 128) * 2 - 1
    g.eval()  # running statistics: the BNs no longer mix samples, so only the modulation sees z twice
    base = g(z)
    with torch.no_grad():
        for m in g.modules():
            if isinstance(m, SelfModulatedBatchNorm):
                m.hidden.weight.zero_()  # cut z out of every modulation
    assert not torch.allclose(base, g(z))


@pytest.mark.parametrize("sn", [True, False])
def test_scale_bias_starts_at_one_and_offset_at_zero(sn):
    g = SNDCGANGenerator("selfmod", 16, 1 / 16, sn=sn)
    for m in g.modules():
        if isinstance(m, SelfModulatedBatchNorm):
            assert torch.equal(m.gamma.bias, torch.ones_like(m.gamma.bias))
            assert torch.equal(m.beta.bias, torch.zeros_like(m.beta.bias))
            assert m.hidden.out_features == 32


def test_selfmod_exists_for_the_sndcgan_only():
    assert variants_for("gan") == (*VARIANTS, "selfmod")
    assert variants_for("cyclegan") == VARIANTS
    assert variants_for("pix2pix") == variants_for("scan") == ("vanilla",)
    assert check_variant("selfmod", "gan") == "selfmod"
    one_line_error(check_variant, "selfmod", "cyclegan", match="exists only for gan")
    one_line_error(check_variant, "spap_c2f", "pix2pix", match="choose one of vanilla")
    one_line_error(check_variant, "selfmodded", "gan", match="unknown variant")
    one_line_error(variants_for, "stylegan", match="unknown recipe")


# --- Pix2Pix -------------------------------------------------------------------------------------------------


def reference_unet_count(ngf: int = 64, num_downs: int = 8, input_nc: int = 3, output_nc: int = 3) -> int:
    """pytorch-CycleGAN-and-pix2pix ``UnetGenerator`` with batch norm (``use_bias`` False before a BN)."""
    bn = 2  # weight and bias per channel
    total = conv(input_nc, ngf, 4, bias=False) + conv(2 * ngf, output_nc, 4)  # outermost: down, up + tanh
    levels = [(ngf, 2 * ngf), (2 * ngf, 4 * ngf), (4 * ngf, 8 * ngf)] + [(8 * ngf, 8 * ngf)] * (num_downs - 5)
    for outer, inner in levels:  # down conv + BN, up conv (of the concatenated 2 x inner) + BN
        total += conv(outer, inner, 4, False) + bn * inner + conv(2 * inner, outer, 4, False) + bn * outer
    total += conv(8 * ngf, 8 * ngf, 4, False) + conv(8 * ngf, 8 * ngf, 4, False) + bn * 8 * ngf  # innermost
    return total


def reference_patchgan_count(input_nc: int, ndf: int = 64, norm: str = "batch") -> int:
    """``NLayerDiscriminator(input_nc, ndf, n_layers=3)``: convs before a norm have a bias only with instance
    norm; batch norm adds an affine (2 per channel), instance norm (affine=False) none."""
    bias, per_channel = (False, 2) if norm == "batch" else (True, 0)
    total = conv(input_nc, ndf, 4)
    for cin, cout in ((ndf, 2 * ndf), (2 * ndf, 4 * ndf), (4 * ndf, 8 * ndf)):
        total += conv(cin, cout, 4, bias) + per_channel * cout
    return total + conv(8 * ndf, 1, 4)


def test_pix2pix_parameter_counts_match_the_reference():
    # unet_256 (num_downs 8, ngf 64, batch norm, dropout) and the conditional basic D (6 channels, batch norm)
    assert reference_unet_count() == 54_413_955
    assert reference_patchgan_count(6) == 2_768_705
    assert reference_patchgan_count(3, norm="instance") == 2_764_737  # CycleGAN's D, as test_cyclegan.py
    G, D = build_pix2pix(256)
    assert count_parameters(G) == 54_413_955
    assert count_parameters(D) == 2_768_705


@pytest.mark.parametrize("size, ngf", [(256, 8), (64, 16), (32, 4)])  # paper (narrowed), cpu, smoke
def test_pix2pix_shapes_at_every_preset_size(size, ngf):
    G, D = build_pix2pix(size, ngf=ngf, ndf=ngf)
    assert G.num_downs == unet_num_downs(size)
    a = torch.randn(2, 3, size, size)
    b = G(a)
    assert b.shape == a.shape and b.abs().max() <= 1
    assert D(torch.cat([a, b], 1)).shape == (2, 1, size // 8 - 2, size // 8 - 2)


def reference_unet_keys(num_downs: int) -> set[str]:
    """State-dict keys of the reference UnetGenerator: outermost [down, sub, relu, up, tanh]; intermediate
    [lrelu, down, BN, sub, relu, up, BN(, dropout)]; innermost [lrelu, down, relu, up, BN]."""
    bn = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    keys = {"model.model.0.weight", "model.model.3.weight", "model.model.3.bias"}
    prefix = "model.model.1"
    for _ in range(num_downs - 2):
        keys |= {f"{prefix}.model.1.weight", f"{prefix}.model.5.weight"}
        keys |= {f"{prefix}.model.{i}.{k}" for i in (2, 6) for k in bn}
        prefix += ".model.3"
    keys |= {f"{prefix}.model.1.weight", f"{prefix}.model.3.weight"} | {f"{prefix}.model.4.{k}" for k in bn}
    return keys


def test_unet_parameter_names_are_the_reference_ones():
    G = UnetGenerator(3, 3, 8, ngf=4)
    assert set(G.state_dict()) == reference_unet_keys(8)
    # the innermost down conv of a reference latest_net_G.pth (unet_256)
    assert "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.1.weight" in G.state_dict()
    assert set(UnetGenerator(3, 3, 5, ngf=4).state_dict()) == reference_unet_keys(5)
    other = UnetGenerator(3, 3, 8, ngf=4)
    assert load_reference_weights(other, G.state_dict()) == []  # nothing of ours outside the layout
    assert all(torch.equal(v, other.state_dict()[k]) for k, v in G.state_dict().items())
    one_line_error(load_reference_weights, UnetGenerator(3, 3, 8, ngf=8), G.state_dict(), match="shape")


def test_dropout_sits_in_the_three_levels_next_to_the_innermost():
    G = UnetGenerator(3, 3, 8, ngf=4)
    blocks, block = [], G.model
    while isinstance(block, UnetSkipConnectionBlock):
        blocks.append(block)
        block = next((m for m in block.model if isinstance(m, UnetSkipConnectionBlock)), None)
    assert len(blocks) == 8
    with_dropout = [i for i, b in enumerate(blocks) if isinstance(b.model[-1], nn.Dropout)]
    assert with_dropout == [4, 5, 6]  # levels 5-7 of 8: the innermost's three 8ngf neighbours
    assert all(blocks[i].model[-1].p == 0.5 for i in with_dropout)
    assert sum(isinstance(m, nn.Dropout) for m in UnetGenerator(3, 3, 6, ngf=4).modules()) == 1  # cpu 64 px
    x = torch.randn(1, 3, 256, 256)
    G.train()
    assert not torch.equal(G(x), G(x))  # dropout at work
    G.eval()
    assert torch.equal(G(x), G(x))


def test_conditional_discriminator_has_batch_norm_and_no_bias_before_it():
    D = Pix2PixDiscriminator(6, ndf=4)
    layers = list(D.model)
    assert [i for i, m in enumerate(layers) if isinstance(m, nn.BatchNorm2d)] == [3, 6, 9]
    convs = {i: m for i, m in enumerate(layers) if isinstance(m, nn.Conv2d)}
    assert sorted(convs) == [0, 2, 5, 8, 11] and convs[0].in_channels == 6
    assert [convs[i].bias is not None for i in sorted(convs)] == [True, False, False, False, True]
    assert [convs[i].stride[0] for i in sorted(convs)] == [2, 2, 2, 1, 1]


def test_pix2pix_bad_sizes_are_one_line_errors():
    assert [unet_num_downs(s) for s in (32, 64, 128, 256, 512)] == [5, 6, 7, 8, 9]
    for size in (16, 48, 0, 100):
        one_line_error(unet_num_downs, size, match="power of two")
    one_line_error(UnetGenerator, 3, 3, 4, match="num_downs >= 5")
    one_line_error(UnetGenerator(3, 3, 6, ngf=2), torch.randn(1, 3, 32, 32), match="divisible by 64")


# --- SCAN ----------------------------------------------------------------------------------------------------


def reference_resnet_generator_count(n_blocks: int, input_nc: int = 3, ngf: int = 64) -> int:
    """The reference ResnetGenerator with instance norm (no affine, every conv biased)."""
    total = conv(input_nc, ngf, 7) + conv(ngf, 2 * ngf, 3) + conv(2 * ngf, 4 * ngf, 3)
    total += n_blocks * 2 * conv(4 * ngf, 4 * ngf, 3)
    return total + conv(4 * ngf, 2 * ngf, 3) + conv(2 * ngf, ngf, 3) + conv(ngf, 3, 7)


def test_scan_parameter_counts_at_paper_scale():
    G, D1, D2 = build_scan()
    assert reference_resnet_generator_count(9) == 11_378_179  # CycleGAN's G (test_cyclegan.py)
    stage1 = reference_resnet_generator_count(6)  # resnet_6blocks, the reference's 128 px generator
    stage2 = reference_resnet_generator_count(9, input_nc=6)  # x and the upsampled stage-1 image
    mask_head = conv(9, 64, 3) + conv(64, 1, 3)
    assert (stage1, stage2, mask_head) == (7_837_699, 11_387_587, 5_825)
    assert count_parameters(G.stage1) == stage1
    assert count_parameters(G.stage2.translator) == stage2
    assert count_parameters(G) == stage1 + stage2 + mask_head
    assert count_parameters(D1) == count_parameters(D2) == reference_patchgan_count(3, norm="instance")


@pytest.mark.parametrize("size, ngf", [(256, 4), (64, 16), (64, 4)])  # paper (narrowed), cpu, smoke
def test_scan_shapes_at_every_preset_size(size, ngf):
    G, D1, D2 = build_scan(ngf, ngf, n_blocks=1, stage1_n_blocks=1)
    seen = {}
    G.stage1.register_forward_hook(lambda m, i, o: seen.update(stage1=o.shape))
    x = torch.randn(2, 3, size, size)
    y = G(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    assert seen["stage1"] == (2, 3, size // 2, size // 2)  # stage 1 works at half resolution
    assert G.coarse(x).shape == x.shape
    assert D1(G.stage1(x[:, :, ::2, ::2])).shape == (2, 1, size // 16 - 2, size // 16 - 2)
    assert D2(y).shape == (2, 1, size // 8 - 2, size // 8 - 2)


def test_fusion_mask_is_in_unit_interval_and_blends_the_two_candidates():
    torch.manual_seed(3)
    G, _, _ = build_scan(4, 4, n_blocks=1, stage1_n_blocks=1)
    x = torch.randn(2, 3, 64, 64)
    out, mask = G(x, return_mask=True)
    assert mask.shape == (2, 1, 64, 64) and mask.min() >= 0 and mask.max() <= 1
    coarse = G.coarse(x)
    refined = G.stage2.translator(torch.cat([x, coarse], 1))
    assert torch.allclose(out, mask * coarse + (1 - mask) * refined, atol=1e-6)
    last = G.stage2.fusion.net[2]
    with torch.no_grad():
        last.bias.fill_(60.0)  # mask -> 1: the upsampled stage-1 image passes through
        assert torch.allclose(G(x), coarse, atol=1e-5)
        last.bias.fill_(-60.0)  # mask -> 0: the refined image
        assert torch.allclose(G(x), refined, atol=1e-5)


def test_scan_stacks_reference_cyclegan_networks():
    G, D1, _ = build_scan(4, 4, n_blocks=2, stage1_n_blocks=1)
    assert isinstance(G, SCANGenerator) and isinstance(G.stage1, CycleGANGenerator)
    assert isinstance(D1, PatchGANDiscriminator)
    assert G.stage2.translator.model[1].in_channels == 6
    assert "translator.model.1.weight" in G.stage2.state_dict()  # the reference names inside


def test_scan_bad_sizes_are_one_line_errors():
    assert stage1_size(256) == 128 and stage1_size(64) == 32 and stage1_size(48) == 24
    one_line_error(stage1_size, 36, match="divisible by 8")
    one_line_error(stage1_size, 40, match="no output")
    one_line_error(stage1_size, 64, 4, match="fewer n_layers")
