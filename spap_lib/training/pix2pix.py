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

Holds the networks (:func:`build_networks`), :class:`Pix2PixTask` and :func:`train_pix2pix`.
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
from spap_lib.training.epochs import EpochTask
from spap_lib.training.loop import mean_losses, no_param_grads, train_run
from spap_lib.training.losses import adversarial, cyclegan_d_loss, l1


def build_networks(config: Pix2PixConfig) -> dict[str, nn.Module]:
    """G (the U-Net for ``crop_size``) and the conditional PatchGAN D (:mod:`spap_lib.models.pix2pix`)."""
    G, D = build_pix2pix(config.crop_size, config.ngf, config.ndf, config.n_layers)
    return {"G": G, "D": D}


class Pix2PixTask(EpochTask):
    """Pix2Pix's part of the training loop: G and D, an Adam and a linear-decay schedule for each."""

    config: Pix2PixConfig
    described = ("kind", "dataset", "direction")
    progress = ("epoch", "loss_G", "loss_D")
    sampled = ("G",)

    def build(self) -> None:
        c = self.config
        self.init_networks(build_networks(c))
        self.opt = self.make_optimizers(
            self.raw["G"].parameters(), self.raw["D"].parameters(), c.n_epochs, c.n_epochs_decay
        )

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
        self.opt.step_D(loss_D)

        with no_param_grads(D_raw), runtime.autocast(c, device):
            loss_G_gan = adversarial(D_raw(torch.cat([real_A, fake_B], 1)), True, mode)
            loss_G_l1 = c.lambda_l1 * l1(fake_B, real_B)
            loss_G = loss_G_gan + loss_G_l1
        self.opt.step_G(loss_G)

        extra = self.end_step(step, self.opt)
        losses = mean_losses(world, loss_G=loss_G, loss_G_gan=loss_G_gan, loss_G_l1=loss_G_l1, loss_D=loss_D)
        return losses, extra

    def sample_grid(self) -> tuple[torch.Tensor, int]:
        """Rows: input A, G(A), target B (G in eval mode, so no batch statistic or RNG state moves)."""
        fake = self.raw["G"](self.fixed_A)
        return torch.cat([r.float() for r in (self.fixed_A, fake, self.fixed_B)]), len(self.fixed_A)


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
