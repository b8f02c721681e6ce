"""SPAP (Sec. 3.2): shapes, the Eq. 5 reading, Eq. 6, attention maps, orders."""

import pytest
import torch

from spap_lib.errors import ConfigError
from spap_lib.models import SPAP, AtrousPyramid, AttentiveFuse, capture_attention, count_parameters


def test_branch_parameter_count_at_128_channels():
    assert count_parameters(AtrousPyramid(128, (3, 5, 7))) == 606_848


@pytest.mark.parametrize("order", ["coarse_to_fine", "fine_to_coarse"])
def test_shapes_and_attention(order):
    block = SPAP(16, (3, 5, 7), order=order)
    with torch.no_grad():
        block.gamma.fill_(0.5)
    x = torch.randn(2, 16, 20, 20)
    with capture_attention(block) as maps:
        y = block(x)
    assert y.shape == x.shape
    assert len(maps) == 4
    for amap in (m[0] for m in maps.values()):
        assert amap.shape == (2, 1, 20, 20)
        assert amap.min() >= 0 and amap.max() <= 1
    assert block.last_attention is None and not block.record_attention  # switched off on exit


def test_no_attention_kept_by_default():
    block = SPAP(8)
    block(torch.randn(1, 8, 12, 12))
    assert block.last_attention is None


def test_orders_fuse_levels_in_opposite_directions():
    c2f, f2c = SPAP(8, order="coarse_to_fine"), SPAP(8, order="fine_to_coarse")
    assert c2f.level_names == ["C3D7", "C3D5", "C3D3", "C3D1", "C1D1"]
    assert f2c.level_names == c2f.level_names[::-1]
    f2c.load_state_dict(c2f.state_dict())
    for b in (c2f, f2c):
        b.gamma.data.fill_(1.0)
    x = torch.randn(1, 8, 16, 16)
    assert not torch.allclose(c2f(x), f2c(x))


def test_attentive_fuse_is_a_convex_combination_with_one_map():
    """Eq. 5 read with alpha_i on both terms: alpha=1 gives f_i, alpha=0 gives f_{i+1}."""
    fuse = AttentiveFuse(4)
    f_i, f_next = torch.randn(1, 4, 8, 8), torch.randn(1, 4, 8, 8)
    last = fuse.atten[2]
    for bias, expected in ((1e4, f_i), (-1e4, f_next)):
        with torch.no_grad():
            last.weight.zero_()
            last.bias.fill_(bias)
        out, alpha = fuse(f_i, f_next)
        assert torch.allclose(out, expected)
    with torch.no_grad():
        last.bias.zero_()  # alpha = 0.5 everywhere
    out, alpha = fuse(f_i, f_next)
    assert torch.allclose(out, 0.5 * (f_i + f_next))


def test_eq6_residual_convex_combination():
    block = SPAP(8)
    x = torch.randn(1, 8, 10, 10)
    assert torch.equal(block(x), x)  # gamma starts at 0: the block is the identity
    with torch.no_grad():
        block.gamma.fill_(1.0)
    o = block(x)
    with torch.no_grad():
        block.gamma.fill_(0.25)
    assert torch.allclose(block(x), 0.25 * o + 0.75 * x, atol=1e-6)


@pytest.mark.parametrize("rates", [(3, 3, 7), (7, 5, 3), (1, 2, 3), (3, 5)])
def test_bad_rates(rates):
    with pytest.raises(ConfigError, match="strictly increasing"):
        SPAP(8, rates)


def test_bad_order():
    with pytest.raises(ConfigError, match="order"):
        SPAP(8, order="sideways")
