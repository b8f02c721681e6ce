"""Learning-rate and freeze schedules of Sec. 4.3.

CycleGAN lr: the reference ``lambda_rule`` (``--lr_policy linear``, ``epoch_count = 1``)::

    factor(e) = 1 - max(0, e + 1 - n_epochs) / (n_epochs_decay + 1)

for the 0-based epoch ``e`` being trained: 1.0 for the first ``n_epochs`` epochs, then linear steps down to
``1 / (n_epochs_decay + 1)`` in the last epoch (the reference never trains at exactly 0; its scheduler
steps once at the end of every epoch). We keep this exactly, including that off-by-one.

Freeze: "we start to update the parameters of SPAP and Atrous convolution after a number of training steps
(40k steps for unconditional GAN and 100 epoch for CycleGAN model)". Step/epoch ``t`` trains the pyramid
iff ``t >= freeze_until``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def linear_decay_factor(epoch: int, n_epochs: int, n_epochs_decay: int, epoch_count: int = 1) -> float:
    """The reference ``lambda_rule`` for 0-based ``epoch``."""
    return 1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)


def linear_decay_scheduler(
    optimizer: torch.optim.Optimizer, n_epochs: int, n_epochs_decay: int
) -> torch.optim.lr_scheduler.LambdaLR:
    rule: Callable[[int], float] = _Rule(n_epochs, n_epochs_decay)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=rule)


class _Rule:
    """Picklable lambda_rule (LambdaLR.state_dict skips plain functions but keeps objects' __dict__)."""

    def __init__(self, n_epochs: int, n_epochs_decay: int):
        self.n_epochs, self.n_epochs_decay = n_epochs, n_epochs_decay

    def __call__(self, epoch: int) -> float:
        return linear_decay_factor(epoch, self.n_epochs, self.n_epochs_decay)


def pyramid_trainable(t: int, freeze_until: int) -> bool:
    """Whether step/epoch ``t`` (0-based) updates the SPAP/ASPP/atrous parameters."""
    return t >= freeze_until
