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

Holds the networks of a variant (:func:`build_networks`), the step (:func:`cycle_step`, which SCAN's stages
share), :class:`CycleGANTask` and :func:`train_cyclegan`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import CycleGANGenerator, PatchGANDiscriminator
from spap_lib.training import runtime
from spap_lib.training.config import CycleGANConfig
from spap_lib.training.epochs import EpochTask
from spap_lib.training.loop import GANOptimizers, mean_losses, no_param_grads, train_run
from spap_lib.training.losses import adversarial, cyclegan_d_loss, l1
from spap_lib.training.pool import ImagePool
from spap_lib.training.schedule import pyramid_trainable

# a translator: images -> (translated images, fusion mask or None)
Translator = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]
Pair = tuple[nn.Module, nn.Module]


def build_networks(config: CycleGANConfig) -> dict[str, nn.Module]:
    """The four networks of one variant (reference layout, see :mod:`spap_lib.models.cyclegan`)."""
    g = {name: CycleGANGenerator(config.variant, config.ngf, config.n_blocks) for name in ("G_AB", "G_BA")}
    d = {name: PatchGANDiscriminator(config.variant, config.ndf, config.n_layers) for name in ("D_A", "D_B")}
    return {**g, **d}


def cycle_step(
    config: CycleGANConfig,
    device: torch.device,
    real: tuple[torch.Tensor, torch.Tensor],
    G: tuple[Translator, Translator],
    D: Pair,
    D_raw: Pair,
    pools: tuple[ImagePool, ImagePool],
    opt: GANOptimizers,
) -> tuple[dict[str, torch.Tensor], tuple[torch.Tensor | None, torch.Tensor | None]]:
    """One CycleGAN step (Eq. 2-4; steps 1-3 of the module docstring): the G step, then the D step on pooled fakes.

    ``real`` is (real_A, real_B), ``G`` (G_AB, G_BA), ``D`` (D_A, D_B) as the step calls them and ``D_raw``
    the unwrapped ones (the G step's, with their parameters frozen), ``pools`` (pool_A, pool_B). Returns the
    losses to log (tensors) and the translators' fusion masks of (B -> A, A -> B) (None for a plain CycleGAN).
    """
    lam, lam_idt, mode = config.lambda_cyc, config.lambda_cyc * config.lambda_identity, config.gan_mode
    (real_A, real_B), (G_AB, G_BA), (D_A_raw, D_B_raw), (pool_A, pool_B) = real, G, D_raw, pools
    with runtime.autocast(config, device):
        fake_B, mask_B = G_AB(real_A)
        rec_A = G_BA(fake_B)[0]
        fake_A, mask_A = G_BA(real_B)
        rec_B = G_AB(fake_A)[0]
        with no_param_grads(D_A_raw, D_B_raw):
            loss_gan_AB = adversarial(D_B_raw(fake_B), True, mode)
            loss_gan_BA = adversarial(D_A_raw(fake_A), True, mode)
        loss_cyc = lam * (l1(rec_A, real_A) + l1(rec_B, real_B))
        loss_idt = torch.zeros((), device=device)
        if lam_idt > 0:
            loss_idt = lam_idt * (l1(G_AB(real_B)[0], real_B) + l1(G_BA(real_A)[0], real_A))
        loss_G = loss_gan_AB + loss_gan_BA + loss_cyc + loss_idt
    opt.step_G(loss_G)

    pooled_B = pool_B.query(fake_B.detach())
    pooled_A = pool_A.query(fake_A.detach())
    with runtime.autocast(config, device):
        out_B = D[1](torch.cat([real_B, pooled_B.to(real_B.dtype)]))
        out_A = D[0](torch.cat([real_A, pooled_A.to(real_A.dtype)]))
        n = len(real_A)
        loss_D_B = cyclegan_d_loss(out_B[:n], out_B[n:], mode)
        loss_D_A = cyclegan_d_loss(out_A[:n], out_A[n:], mode)
    opt.step_D(loss_D_A + loss_D_B)
    losses = {
        "loss_G": loss_G,
        "loss_G_AB": loss_gan_AB,
        "loss_G_BA": loss_gan_BA,
        "loss_cycle": loss_cyc,
        "loss_identity": loss_idt,
        "loss_D_A": loss_D_A,
        "loss_D_B": loss_D_B,
    }
    return losses, (mask_A, mask_B)


def plain(G: nn.Module) -> Translator:
    """A generator as a :data:`Translator` (no fusion mask)."""
    return lambda x: (G(x), None)


class CycleGANTask(EpochTask):
    """CycleGAN's part of the training loop: two generators, two discriminators, pools, Eq. 2-4."""

    config: CycleGANConfig
    described = ("kind", "variant", "dataset")
    progress = ("epoch", "loss_G", "loss_D_B")

    def build(self) -> None:
        c, rank = self.config, self.rank
        self.init_networks(build_networks(c))
        self.opt = self.make_optimizers(
            itertools.chain(self.raw["G_AB"].parameters(), self.raw["G_BA"].parameters()),
            itertools.chain(self.raw["D_A"].parameters(), self.raw["D_B"].parameters()),
            c.n_epochs,
            c.n_epochs_decay,
        )
        self.pool_A = ImagePool(c.pool_size, seed=c.seed * 1009 + 2 * rank + 11)
        self.pool_B = ImagePool(c.pool_size, seed=c.seed * 1009 + 2 * rank + 12)

    def pools(self) -> dict[str, ImagePool]:
        return {"pool_A": self.pool_A, "pool_B": self.pool_B}

    def pyramid_trainable(self, step: int) -> bool:
        return pyramid_trainable(self.epoch(step), self.config.freeze_epochs)

    def step(self, step: int, batches: Iterator[Any]) -> tuple[dict[str, float], dict[str, Any]]:
        c, device, nets, raw = self.config, self.device, self.nets, self.raw
        batch = next(batches)
        real = (runtime.to_input(batch["A"], c, device), runtime.to_input(batch["B"], c, device))
        losses, _ = cycle_step(
            c,
            device,
            real,
            (plain(nets["G_AB"]), plain(nets["G_BA"])),
            (nets["D_A"], nets["D_B"]),
            (raw["D_A"], raw["D_B"]),
            (self.pool_A, self.pool_B),
            self.opt,
        )
        extra = self.end_step(step, self.opt)
        return mean_losses(self.world, **losses), extra

    def sample_grid(self) -> tuple[torch.Tensor, int]:
        """Rows: real A, G_AB(A), G_BA(G_AB(A)), real B, G_BA(B), G_AB(G_BA(B))."""
        raw, A, B = self.raw, self.fixed_A, self.fixed_B
        fake_B = raw["G_AB"](A)
        fake_A = raw["G_BA"](B)
        rows = [A, fake_B, raw["G_BA"](fake_B), B, fake_A, raw["G_AB"](fake_A)]
        return torch.cat([r.float() for r in rows]), len(A)


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
