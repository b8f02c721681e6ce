"""Pix2Pix trainer ([17] Sec. 3 and 4; the reference ``Pix2PixModel.optimize_parameters``): Table 2's paired
upper bound, trained on aligned A|B pairs, one run per direction.

One step on a batch (A, B), A the input of the configured direction:

1. fake_B = G(A) (dropout on, batch statistics: G is in train mode throughout, as the reference);
2. D step: 0.5 * (BCE(D(cat[A, fake_B.detach()]), 0) + BCE(D(cat[A, B]), 1)) -- two forwards, fake first,
   so each batch norm sees one kind of input at a time as in the reference;
3. G step (D frozen, still in train mode): BCE(D(cat[A, fake_B]), 1) + lambda_l1 * |fake_B - B|_1.

D steps before G, unlike CycleGAN. Adam (2e-4, betas (0.5, 0.999)) for each network; lr 2e-4 for
``n_epochs``, then the reference linear ``lambda_rule`` over ``n_epochs_decay`` (stepped at the end of each
epoch). ``max_iters_per_epoch`` caps an epoch (CPU presets only). There is no pyramid to freeze. Under DDP
each process normalises its own share of the batch (the reference trains with batch 1 anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import build_pix2pix
from spap_lib.training import runtime
from spap_lib.training.config import Pix2PixConfig
from spap_lib.training.data import BatchSchedule
from spap_lib.training.gan import no_param_grads
from spap_lib.training.loop import Task, train_run
from spap_lib.training.losses import adversarial, cyclegan_d_loss, l1
from spap_lib.training.rundir import RunDir
from spap_lib.training.schedule import linear_decay_scheduler


def build_networks(config: Pix2PixConfig) -> dict[str, nn.Module]:
    """G (the U-Net for ``crop_size``) and the conditional PatchGAN D (:mod:`spap_lib.models.pix2pix`)."""
    G, D = build_pix2pix(config.crop_size, config.ngf, config.ndf, config.n_layers)
    return {"G": G, "D": D}


class Pix2PixTask(Task):
    """Pix2Pix's part of the training loop: G and D, an Adam and a linear-decay schedule for each."""

    def __init__(self, config: Pix2PixConfig, device: torch.device, rank: int, world: int, n_data: int):
        super().__init__(config, device, rank, world, n_data)
        probe = BatchSchedule(
            n_data, config.batch_size, config.seed, 0, 0, rank, world, config.max_iters_per_epoch
        )
        self.iters_per_epoch = probe.steps_per_epoch
        self.total_steps = (config.n_epochs + config.n_epochs_decay) * self.iters_per_epoch
        self.max_steps_per_epoch = config.max_iters_per_epoch

    def build(self) -> None:
        c, device, world = self.config, self.device, self.world
        raw = build_networks(c)
        paired = c.seed if c.paired_init else None
        for name, net in raw.items():
            runtime.init_weights(net, c.init_std, paired, prefix=f"{name}/")
        self.raw = {k: runtime.prepare_module(v, device, c, world) for k, v in raw.items()}
        betas = (c.beta1, c.beta2)
        self.opt_G = torch.optim.Adam(self.raw["G"].parameters(), c.lr, betas=betas)
        self.opt_D = torch.optim.Adam(self.raw["D"].parameters(), c.lr, betas=betas)
        self.sched_G = linear_decay_scheduler(self.opt_G, c.n_epochs, c.n_epochs_decay)
        self.sched_D = linear_decay_scheduler(self.opt_D, c.n_epochs, c.n_epochs_decay)
        self.scaler_G = runtime.make_scaler(c, device)
        self.scaler_D = runtime.make_scaler(c, device)

    def stateful(self) -> dict[str, Any]:
        return {
            "opt_G": self.opt_G,
            "opt_D": self.opt_D,
            "sched_G": self.sched_G,
            "sched_D": self.sched_D,
            "scaler_G": self.scaler_G,
            "scaler_D": self.scaler_D,
        }

    def fix_samples(self, dataset: Dataset) -> None:
        with runtime.preserved_rng():  # reading the fixed pairs must not move the run's RNG streams
            fixed = [dataset[i] for i in range(min(self.config.n_samples, len(dataset)))]
        self.fixed_A = torch.stack([f["A"] for f in fixed]).to(self.device)
        self.fixed_B = torch.stack([f["B"] for f in fixed]).to(self.device)

    def pyramid_trainable(self, step: int) -> bool:
        return True  # no SPAP/ASPP/atrous parameters in the baseline

    def step(self, step: int, batches: Iterator[Any]) -> tuple[dict[str, float], dict[str, Any]]:
        c, device, world = self.config, self.device, self.world
        mode = c.gan_mode
        batch = next(batches)
        real_A = runtime.to_input(batch["A"], c, device)
        real_B = runtime.to_input(batch["B"], c, device)
        G, D, D_raw = self.nets["G"], self.nets["D"], self.raw["D"]
        with runtime.autocast(c, device):
            fake_B = G(real_A)
            pred_fake = D(torch.cat([real_A, fake_B.detach()], 1))
            pred_real = D(torch.cat([real_A, real_B], 1))
            loss_D = cyclegan_d_loss(pred_real, pred_fake, mode)  # the reference's halved D loss
        self.opt_D.zero_grad(set_to_none=True)
        self.scaler_D.scale(loss_D).backward()
        self.scaler_D.step(self.opt_D)
        self.scaler_D.update()

        with no_param_grads(D_raw), runtime.autocast(c, device):
            loss_G_gan = adversarial(D_raw(torch.cat([real_A, fake_B], 1)), True, mode)
            loss_G_l1 = c.lambda_l1 * l1(fake_B, real_B)
            loss_G = loss_G_gan + loss_G_l1
        self.opt_G.zero_grad(set_to_none=True)
        self.scaler_G.scale(loss_G).backward()
        self.scaler_G.step(self.opt_G)
        self.scaler_G.update()

        lr_now = self.opt_G.param_groups[0]["lr"]  # the lr this step trained with
        if (step + 1) % self.iters_per_epoch == 0:  # end of an epoch: the reference steps here
            self.sched_G.step()
            self.sched_D.step()
        losses = {
            name: runtime.all_mean(value, world)
            for name, value in (
                ("loss_G", loss_G),
                ("loss_G_gan", loss_G_gan),
                ("loss_G_l1", loss_G_l1),
                ("loss_D", loss_D),
            )
        }
        return losses, {"epoch": step // self.iters_per_epoch, "lr": lr_now}

    def postfix(self, losses: dict[str, float], extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "epoch": extra["epoch"],
            "loss_G": f"{losses['loss_G']:.3f}",
            "loss_D": f"{losses['loss_D']:.3f}",
        }

    @torch.no_grad()
    def save_samples(self, run: RunDir, step: int) -> None:
        """Rows: input A, G(A), target B (G in eval mode, so no batch statistic or RNG state moves)."""
        if not run.write:
            return
        G = self.raw["G"]
        G.eval()
        fake = G(self.fixed_A)
        G.train()
        grid = torch.cat([r.float() for r in (self.fixed_A, fake, self.fixed_B)])
        run.save_grid(grid, f"step_{step:07d}.png", nrow=len(self.fixed_A))

    @property
    def description(self) -> str:
        return f"pix2pix {self.config.dataset} {self.config.direction}"


def train_pix2pix(
    config: Pix2PixConfig,
    run_dir: str | Path,
    dataset: Dataset | None = None,
    until_step: int | None = None,
) -> Path:
    """Train (or resume) Pix2Pix in the config's direction; return the run folder.

    ``dataset`` replaces the config's dataset (items: dicts with aligned "A" (input) and "B" (target)
    tensors in [-1, 1]); ``until_step`` stops after that many iterations with a checkpoint.
    """
    return train_run(Pix2PixTask, config, run_dir, dataset, until_step)
