"""The base of the epoch-counted recipes (CycleGAN, Pix2Pix, SCAN; Sec. 4.3 and the baselines of Table 2).

:class:`EpochTask` holds what the three share: the epoch length probed from the batch schedule (an epoch is
the dataset, or ``max_iters_per_epoch`` iterations on the CPU presets), the run length in epochs, the
reference's Adam pairs with their linear-decay schedules stepped at the end of each epoch, the fixed
(A, B) sample pairs, and the epoch and lr each step logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.training import runtime
from spap_lib.training.config import CycleGANConfig, Pix2PixConfig, SCANConfig
from spap_lib.training.data import BatchSchedule
from spap_lib.training.loop import GANOptimizers, Task
from spap_lib.training.schedule import linear_decay_scheduler

EpochConfig = CycleGANConfig | Pix2PixConfig | SCANConfig


class EpochTask(Task):
    """A recipe that counts epochs: ``total_steps = n_epochs_total() * iters_per_epoch``."""

    config: EpochConfig

    def __init__(self, config: EpochConfig, device: torch.device, rank: int, world: int, n_data: int):
        super().__init__(config, device, rank, world, n_data)
        probe = BatchSchedule(
            n_data, config.batch_size, config.seed, 0, 0, rank, world, config.max_iters_per_epoch
        )
        self.iters_per_epoch: int = probe.steps_per_epoch
        self.total_steps = self.n_epochs_total() * self.iters_per_epoch
        self.max_steps_per_epoch = config.max_iters_per_epoch

    def n_epochs_total(self) -> int:
        """Epochs of the whole run: ``n_epochs`` at the initial lr, then ``n_epochs_decay`` decaying."""
        return self.config.n_epochs + self.config.n_epochs_decay

    def epoch(self, step: int) -> int:
        return step // self.iters_per_epoch

    def make_optimizers(
        self,
        params_G: Iterable[nn.Parameter],
        params_D: Iterable[nn.Parameter],
        n_epochs: int,
        n_epochs_decay: int,
    ) -> GANOptimizers:
        """The reference's Adam for G and D (``lr``, ``(beta1, beta2)``), each with the linear ``lambda_rule``
        over ``n_epochs`` + ``n_epochs_decay`` and a grad scaler."""
        c = self.config
        betas = (c.beta1, c.beta2)
        opt_G = torch.optim.Adam(params_G, c.lr, betas=betas)
        opt_D = torch.optim.Adam(params_D, c.lr, betas=betas)
        sched_G = linear_decay_scheduler(opt_G, n_epochs, n_epochs_decay)
        sched_D = linear_decay_scheduler(opt_D, n_epochs, n_epochs_decay)
        scaler_G = runtime.make_scaler(c, self.device)
        scaler_D = runtime.make_scaler(c, self.device)
        return GANOptimizers(opt_G, opt_D, scaler_G, scaler_D, sched_G, sched_D)

    def stateful(self) -> dict[str, Any]:
        """The states of ``self.opt``, the :class:`GANOptimizers` that :meth:`build` made."""
        return self.opt.stateful()

    def end_step(self, step: int, opt: GANOptimizers) -> dict[str, Any]:
        """The epoch and the lr this step trained with; at the end of an epoch the schedules step (as the
        reference does)."""
        lr_now = opt.opt_G.param_groups[0]["lr"]
        if (step + 1) % self.iters_per_epoch == 0:
            assert opt.sched_G is not None and opt.sched_D is not None
            opt.sched_G.step()
            opt.sched_D.step()
        return {"epoch": self.epoch(step), "lr": lr_now}

    def fix_samples(self, dataset: Dataset) -> None:
        """The first ``n_samples`` (A, B) pairs of the dataset."""
        with runtime.preserved_rng():  # reading the fixed pairs must not move the run's RNG streams
            fixed = [dataset[i] for i in range(min(self.config.n_samples, len(dataset)))]
        self.fixed_A = torch.stack([f["A"] for f in fixed]).to(self.device)
        self.fixed_B = torch.stack([f["B"] for f in fixed]).to(self.device)

    def pyramid_trainable(self, step: int) -> bool:
        return True  # the baselines have no SPAP/ASPP/atrous parameters; CycleGAN overrides

    def params(self) -> dict[str, Any]:
        return {**super().params(), "iters_per_epoch": self.iters_per_epoch}
