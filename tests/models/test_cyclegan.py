"""CycleGAN networks (reference ResNet-9 generator, 70x70 PatchGAN) with the paper's variants."""

import pytest
import torch

from spap_lib.errors import ConfigError
from spap_lib.models import (
    SPAP,
    VARIANTS,
    AtrousAugmentedConv2d,
    CycleGANGenerator,
    PatchGANDiscriminator,
    build_cyclegan,
    count_parameters,
    load_reference_weights,
)


@pytest.mark.parametrize("size", [64, 128, 256])
@pytest.mark.parametrize("variant", VARIANTS)
def test_shapes(variant, size):
    g, d = build_cyclegan(variant, ngf=4, ndf=4, n_blocks=2)
    x = torch.randn(1, 3, size, size)
    y = g(x)
    assert y.shape == x.shape
    assert d(y).shape == (1, 1, size // 8 - 2, size // 8 - 2)


def test_reference_parameter_counts():
    # Counts of the reference implementation's ResnetGenerator(9 blocks) and NLayerDiscriminator(3 layers).
    assert count_parameters(CycleGANGenerator("vanilla")) == 11_378_179
    assert count_parameters(PatchGANDiscriminator("vanilla")) == 2_764_737


def test_spap_after_first_upsampling_at_half_resolution():
    g = CycleGANGenerator("spap_f2c", ngf=4, n_blocks=1)
    seen = {}
    g.pyramid_pooling.register_forward_hook(lambda m, i, o: seen.update(shape=o.shape))
    g(torch.randn(1, 3, 64, 64))
    assert seen["shape"] == (1, 8, 32, 32)
    assert isinstance(g.pyramid_pooling, SPAP) and g.pyramid_pooling.levels.atrous_rates == (
        6,
        12,
        18,
    )


def test_atrous_on_third_conv_with_64px_input_at_256():
    d = PatchGANDiscriminator("spap_c2f", ndf=4)
    layer = d.model[5]
    assert isinstance(layer, AtrousAugmentedConv2d)
    seen = {}
    layer.register_forward_hook(lambda m, i, o: seen.update(shape=i[0].shape))
    d(torch.randn(1, 3, 256, 256))
    assert seen["shape"][-2:] == (64, 64)


def test_reference_keys_are_kept_and_load():
    ref = CycleGANGenerator("vanilla", ngf=4, n_blocks=2)
    ours = CycleGANGenerator("spap_c2f", ngf=4, n_blocks=2)
    added = load_reference_weights(ours, ref.state_dict())
    assert added and all(k.startswith("pyramid_pooling.") for k in added)
    assert set(ref.state_dict()) <= set(ours.state_dict())
    d_ref, d_ours = PatchGANDiscriminator("vanilla", 4), PatchGANDiscriminator("spap_c2f", 4)
    assert all(".atrous." in k for k in load_reference_weights(d_ours, d_ref.state_dict()))
    with pytest.raises(ConfigError, match="reference layout"):
        load_reference_weights(CycleGANGenerator("vanilla", ngf=8, n_blocks=2), {"nope": torch.zeros(1)})


def test_bad_arguments():
    with pytest.raises(ConfigError, match="unknown variant"):
        CycleGANGenerator("SPAP")
    with pytest.raises(ConfigError, match="ngf"):
        CycleGANGenerator(ngf=0)
    with pytest.raises(ConfigError, match="strictly increasing"):
        CycleGANGenerator("spap_c2f", atrous_rates=(18, 12, 6))


def test_old_reference_checkpoints_with_instance_norm_stats_load():
    """Pre-0.4 reference checkpoints carry running stats for InstanceNorm layers; they are dropped."""
    ref = CycleGANGenerator("vanilla", ngf=4, n_blocks=2)
    old = dict(ref.state_dict())
    for name, m in ref.named_modules():
        if isinstance(m, torch.nn.InstanceNorm2d):
            c = m.num_features
            old.update(
                {
                    f"{name}.running_mean": torch.zeros(c),
                    f"{name}.running_var": torch.ones(c),
                    f"{name}.num_batches_tracked": torch.tensor(3),
                }
            )
    ours = CycleGANGenerator("spap_c2f", ngf=4, n_blocks=2)
    added = load_reference_weights(ours, old)
    assert added and all(k.startswith("pyramid_pooling.") for k in added)
    assert torch.equal(ours.model[1].weight, ref.model[1].weight)


def test_checkpoint_of_another_size_is_one_line():
    big = CycleGANGenerator("vanilla", ngf=8, n_blocks=2).state_dict()
    with pytest.raises(ConfigError, match=r"shape \(8, 3, 7, 7\).*\(4, 3, 7, 7\).*ngf") as err:
        load_reference_weights(CycleGANGenerator("vanilla", ngf=4, n_blocks=2), big)
    assert "\n" not in str(err.value)
