"""CycleGAN trainer (Sec. 4.3, Eq. 2-4) following the reference ``CycleGANModel.optimize_parameters``.

Networks: G_AB (A -> B), G_BA (B -> A), D_A (judges domain A), D_B (judges domain B); the reference calls
them G_A, G_B, D_B, D_A respectively. One step on a batch (real_A, real_B):

1. fake_B = G_AB(A), rec_A = G_BA(fake_B), fake_A = G_BA(B), rec_B = G_AB(fake_A);
2. G step (D frozen): LSGAN(D_B(fake_B), 1) + LSGAN(D_A(fake_A), 1) + lambda_cyc * (|rec_A - A| + |rec_B - B|)
   + lambda_identity * lambda_cyc * (|G_AB(B) - B| + |G_BA(A) - A|), one Adam over both generators;
3. D step: 0.5 * (LSGAN(D(real), 1) + LSGAN(D(pool.query(fake)), 0)) for each D, one Adam over both.

lr: 2e-4 for ``n_epochs``, then the reference linear ``lambda_rule`` over ``n_epochs_decay`` (stepped at the
end of each epoch). Pyramid parameters (G's SPAP/ASPP, D's atrous copies/ASPP) are frozen for the first
``freeze_epochs`` epochs. ``max_iters_per_epoch`` caps an epoch (CPU presets only; 0 = whole dataset); the
last incomplete batch of an epoch is dropped (irrelevant at the reference's batch size 1).
Under DDP each process keeps its own image pool (seeded by seed and rank).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import CycleGANGenerator, PatchGANDiscriminator
from spap_lib.training import runtime
from spap_lib.training.config import CycleGANConfig
from spap_lib.training.data import BatchSchedule
from spap_lib.training.gan import no_param_grads
from spap_lib.training.loop import Task, train_run
from spap_lib.training.losses import adversarial, cyclegan_d_loss, l1
from spap_lib.training.pool import ImagePool
from spap_lib.training.rundir import RunDir
from spap_lib.training.schedule import linear_decay_scheduler, pyramid_trainable


def build_networks(config: CycleGANConfig) -> dict[str, nn.Module]:
    """The four networks of one variant (reference layout, see :mod:`spap_lib.models.cyclegan`)."""
    g = {name: CycleGANGenerator(config.variant, config.ngf, config.n_blocks) for name in ("G_AB", "G_BA")}
    d = {name: PatchGANDiscriminator(config.variant, config.ndf, config.n_layers) for name in ("D_A", "D_B")}
    return {**g, **d}


class CycleGANTask(Task):
    """CycleGAN's part of the training loop: two generators, two discriminators, pools, Eq. 2-4."""

    def __init__(self, config: CycleGANConfig, device: torch.device, rank: int, world: int, n_data: int):
        super().__init__(config, device, rank, world, n_data)
        probe = BatchSchedule(
            n_data, config.batch_size, config.seed, 0, 0, rank, world, config.max_iters_per_epoch
        )
        self.iters_per_epoch = probe.steps_per_epoch
        self.total_steps = (config.n_epochs + config.n_epochs_decay) * self.iters_per_epoch
        self.max_steps_per_epoch = config.max_iters_per_epoch

    def build(self) -> None:
        c, device, world, rank = self.config, self.device, self.world, self.rank
        raw = build_networks(c)
        paired = c.seed if c.paired_init else None
        for name, net in raw.items():
            runtime.init_weights(net, c.init_std, paired, prefix=f"{name}/")
        self.raw = {k: runtime.prepare_module(v, device, c, world) for k, v in raw.items()}
        betas = (c.beta1, c.beta2)
        self.opt_G = torch.optim.Adam(
            itertools.chain(self.raw["G_AB"].parameters(), self.raw["G_BA"].parameters()),
            c.lr,
            betas=betas,
        )
        self.opt_D = torch.optim.Adam(
            itertools.chain(self.raw["D_A"].parameters(), self.raw["D_B"].parameters()),
            c.lr,
            betas=betas,
        )
        self.sched_G = linear_decay_scheduler(self.opt_G, c.n_epochs, c.n_epochs_decay)
        self.sched_D = linear_decay_scheduler(self.opt_D, c.n_epochs, c.n_epochs_decay)
        self.scaler_G = runtime.make_scaler(c, device)
        self.scaler_D = runtime.make_scaler(c, device)
        self.pool_A = ImagePool(c.pool_size, seed=c.seed * 1009 + 2 * rank + 11)
        self.pool_B = ImagePool(c.pool_size, seed=c.seed * 1009 + 2 * rank + 12)

    def stateful(self) -> dict[str, Any]:
        return {
            "opt_G": self.opt_G,
            "opt_D": self.opt_D,
            "sched_G": self.sched_G,
            "sched_D": self.sched_D,
            "scaler_G": self.scaler_G,
            "scaler_D": self.scaler_D,
        }

    def pools(self) -> dict[str, ImagePool]:
        return {"pool_A": self.pool_A, "pool_B": self.pool_B}

    def fix_samples(self, dataset: Dataset) -> None:
        with runtime.preserved_rng():  # reading the fixed pairs must not move the run's RNG streams
            fixed = [dataset[i] for i in range(min(self.config.n_samples, len(dataset)))]
        self.fixed_A = torch.stack([f["A"] for f in fixed]).to(self.device)
        self.fixed_B = torch.stack([f["B"] for f in fixed]).to(self.device)

    def pyramid_trainable(self, step: int) -> bool:
        return pyramid_trainable(step // self.iters_per_epoch, self.config.freeze_epochs)

    def step(self, step: int, batches: Iterator[Any]) -> tuple[dict[str, float], dict[str, Any]]:
        c, device, world, raw = self.config, self.device, self.world, self.raw
        lam, lam_idt, mode = c.lambda_cyc, c.lambda_cyc * c.lambda_identity, c.gan_mode
        epoch = step // self.iters_per_epoch
        batch = next(batches)
        real_A = runtime.to_input(batch["A"], c, device)
        real_B = runtime.to_input(batch["B"], c, device)
        G_AB, G_BA = self.nets["G_AB"], self.nets["G_BA"]
        with runtime.autocast(c, device):
            fake_B = G_AB(real_A)
            rec_A = G_BA(fake_B)
            fake_A = G_BA(real_B)
            rec_B = G_AB(fake_A)
            with no_param_grads(raw["D_A"]), no_param_grads(raw["D_B"]):
                loss_gan_AB = adversarial(raw["D_B"](fake_B), True, mode)
                loss_gan_BA = adversarial(raw["D_A"](fake_A), True, mode)
            loss_cyc = lam * (l1(rec_A, real_A) + l1(rec_B, real_B))
            loss_idt = torch.zeros((), device=device)
            if lam_idt > 0:
                loss_idt = lam_idt * (l1(G_AB(real_B), real_B) + l1(G_BA(real_A), real_A))
            loss_G = loss_gan_AB + loss_gan_BA + loss_cyc + loss_idt
        self.opt_G.zero_grad(set_to_none=True)
        self.scaler_G.scale(loss_G).backward()
        self.scaler_G.step(self.opt_G)
        self.scaler_G.update()

        pooled_B = self.pool_B.query(fake_B.detach())
        pooled_A = self.pool_A.query(fake_A.detach())
        with runtime.autocast(c, device):
            out_B = self.nets["D_B"](torch.cat([real_B, pooled_B.to(real_B.dtype)]))
            out_A = self.nets["D_A"](torch.cat([real_A, pooled_A.to(real_A.dtype)]))
            n = len(real_A)
            loss_D_B = cyclegan_d_loss(out_B[:n], out_B[n:], mode)
            loss_D_A = cyclegan_d_loss(out_A[:n], out_A[n:], mode)
        self.opt_D.zero_grad(set_to_none=True)
        self.scaler_D.scale(loss_D_A + loss_D_B).backward()
        self.scaler_D.step(self.opt_D)
        self.scaler_D.update()

        lr_now = self.opt_G.param_groups[0]["lr"]  # the lr this step trained with
        if (step + 1) % self.iters_per_epoch == 0:  # end of an epoch: the reference steps here
            self.sched_G.step()
            self.sched_D.step()
        losses = {
            name: runtime.all_mean(value, world)
            for name, value in (
                ("loss_G", loss_G),
                ("loss_G_AB", loss_gan_AB),
                ("loss_G_BA", loss_gan_BA),
                ("loss_cycle", loss_cyc),
                ("loss_identity", loss_idt),
                ("loss_D_A", loss_D_A),
                ("loss_D_B", loss_D_B),
            )
        }
        return losses, {"epoch": epoch, "lr": lr_now}

    def postfix(self, losses: dict[str, float], extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "epoch": extra["epoch"],
            "loss_G": f"{losses['loss_G']:.3f}",
            "loss_D_B": f"{losses['loss_D_B']:.3f}",
        }

    def save_samples(self, run: RunDir, step: int) -> None:
        _save_samples(run, self.raw, self.fixed_A, self.fixed_B, step)

    @property
    def description(self) -> str:
        return f"cyclegan {self.config.variant} {self.config.dataset}"


def train_cyclegan(
    config: CycleGANConfig,
    run_dir: str | Path,
    dataset: Dataset | None = None,
    until_step: int | None = None,
) -> Path:
    """Train (or resume) a CycleGAN variant; return the run folder.

    ``dataset`` replaces the config's dataset (items: dicts with "A" and "B" tensors in [-1, 1]);
    ``until_step`` stops after that many iterations with a checkpoint (the run resumes later).
    """
    return train_run(CycleGANTask, config, run_dir, dataset, until_step)


@torch.no_grad()
def _save_samples(run, raw: dict[str, nn.Module], A: torch.Tensor, B: torch.Tensor, step: int) -> None:
    """Rows: real A, G_AB(A), G_BA(G_AB(A)), real B, G_BA(B), G_AB(G_BA(B))."""
    if not run.write:
        return
    for net in raw.values():
        net.eval()
    fake_B = raw["G_AB"](A)
    fake_A = raw["G_BA"](B)
    rows = [A, fake_B, raw["G_BA"](fake_B), B, fake_A, raw["G_AB"](fake_A)]
    for net in raw.values():
        net.train()
    grid = torch.cat([r.float() for r in rows])
    run.save_grid(grid, f"step_{step:07d}.png", nrow=len(A))
