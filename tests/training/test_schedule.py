import pytest
import torch

from spap_lib.training import linear_decay_factor
from spap_lib.training.schedule import linear_decay_scheduler, pyramid_trainable


@pytest.mark.parametrize(
    "epoch, factor",
    [(0, 1.0), (50, 1.0), (99, 1.0), (100, 1 - 1 / 101), (150, 1 - 51 / 101), (199, 1 / 101)],
)
def test_reference_lambda_rule_values(epoch, factor):
    assert linear_decay_factor(epoch, 100, 100) == pytest.approx(factor, abs=1e-12)


def test_scheduler_steps_once_per_epoch_like_the_reference():
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=2e-4)
    sched = linear_decay_scheduler(opt, 100, 100)
    lrs = []
    for _ in range(200):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == lrs[99] == pytest.approx(2e-4)
    assert lrs[100] == pytest.approx(2e-4 * 100 / 101)
    assert lrs[199] == pytest.approx(2e-4 / 101)
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))
    state = sched.state_dict()  # the rule object survives a weights_only round trip
    assert state["lr_lambdas"][0] == {"n_epochs": 100, "n_epochs_decay": 100}


def test_pyramid_switch():
    assert not pyramid_trainable(39_999, 40_000) and pyramid_trainable(40_000, 40_000)
    assert pyramid_trainable(0, 0)
