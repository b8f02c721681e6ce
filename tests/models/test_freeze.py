"""The Sec. 4.3 switch: frozen pyramid parameters do not move; unfrozen ones do."""

import pytest
import torch

from spap_lib.models import build_cyclegan, build_sndcgan, pyramid_parameters, set_pyramid_trainable


def _step(g, d, loss_fn):
    params = [p for p in list(g.parameters()) + list(d.parameters())]
    opt = torch.optim.Adam(params, lr=1e-2)
    opt.zero_grad()
    loss_fn().backward()
    opt.step()


@pytest.mark.parametrize("family", ["sndcgan", "cyclegan"])
@pytest.mark.parametrize("variant", ["aspp", "spap_c2f"])
def test_freeze_then_unfreeze(family, variant):
    if family == "sndcgan":
        g, d = build_sndcgan(variant, 32, width=0.125)
        loss = lambda: d(g(torch.randn(4, 128))).mean()  # noqa: E731
    else:
        g, d = build_cyclegan(variant, ngf=4, ndf=4, n_blocks=1)
        loss = lambda: d(g(torch.randn(1, 3, 64, 64))).mean()  # noqa: E731
    frozen = pyramid_parameters(g) + pyramid_parameters(d)
    assert frozen and set_pyramid_trainable(g, False) + set_pyramid_trainable(d, False) == len(frozen)
    before = [p.detach().clone() for p in frozen]
    others = [p for p in g.parameters() if all(p is not q for q in frozen)]
    others_before = [p.detach().clone() for p in others]
    _step(g, d, loss)
    assert all(torch.equal(a, p) for a, p in zip(before, frozen))
    assert any(not torch.equal(a, p) for a, p in zip(others_before, others))
    set_pyramid_trainable(g, True)
    set_pyramid_trainable(d, True)
    with torch.no_grad():  # let gradient reach the SPAP branches (gamma = 0 blocks it)
        for m in g.modules():
            if hasattr(m, "gamma"):
                m.gamma.fill_(0.5)
    before = [p.detach().clone() for p in frozen]
    _step(g, d, loss)
    assert sum(not torch.equal(a, p) for a, p in zip(before, frozen)) == len(frozen)


def test_vanilla_has_no_pyramid():
    g, d = build_sndcgan("vanilla", 32, 0.125)
    assert pyramid_parameters(g) == pyramid_parameters(d) == []
