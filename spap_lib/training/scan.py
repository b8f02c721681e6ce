"""SCAN trainer ([22] Sec. 3.3): the progressive protocol -- a CycleGAN at half resolution first, then the
full-resolution refinement stage with stage 1 fixed. Networks: :mod:`spap_lib.models.scan`.

Networks (A -> B named as in ``cyclegan.py``): stage 1 ``G1_AB``, ``G1_BA``, ``D1_A``, ``D1_B``; stage 2
``G2_AB``, ``G2_BA`` (refiners with their fusion masks), ``D2_A``, ``D2_B``. The stacked translator A -> B is
``G2_AB(x, up(G1_AB(down(x))))`` (:class:`spap_lib.models.SCANGenerator`).

Schedule: steps ``[0, switch)`` are stage 1, ``switch = (stage1_n_epochs + stage1_n_epochs_decay) *
iters_per_epoch``; the rest, ``(n_epochs + n_epochs_decay) * iters_per_epoch`` steps, stage 2. Each stage has
its own Adam pair, reference linear-decay schedules over its own epochs, scalers and image pools; the batch
order is the run's (the same full-resolution crops feed both stages).

One step of either stage is the CycleGAN step of ``cyclegan.py`` (G step, then D step on pooled fakes) on
that stage's translators:

* stage 1: the images 2x2-average-pooled; translators ``G1_*``; discriminators ``D1_*``;
* stage 2: full-resolution images; translators the stacked ones; discriminators ``D2_*``. The stage-1 part
  runs under ``no_grad`` (stage 1 is a fixed function of the input: gradients reach G2 through its direct
  input and output, and none flows back through the frozen stage 1 -- cheaper, and it leaves every stage-1
  tensor untouched). Stage-1 parameters are in no stage-2 optimiser, so they stay bit-identical (tested).

The mean fusion mask of the two translations is logged in stage 2 (``mask_mean``: the weight of the
upsampled stage-1 image). There is no pyramid to freeze (SCAN has only the ``vanilla`` variant).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import SCANGenerator, build_scan
from spap_lib.models.scan import downsample, upsample
from spap_lib.training import runtime
from spap_lib.training.config import SCANConfig
from spap_lib.training.data import BatchSchedule
from spap_lib.training.gan import no_param_grads
from spap_lib.training.loop import Task, train_run
from spap_lib.training.losses import adversarial, cyclegan_d_loss, l1
from spap_lib.training.pool import ImagePool
from spap_lib.training.rundir import RunDir
from spap_lib.training.schedule import linear_decay_scheduler

STAGE_NETS = {
    1: ("G1_AB", "G1_BA", "D1_A", "D1_B"),
    2: ("G2_AB", "G2_BA", "D2_A", "D2_B"),
}
NETS = STAGE_NETS[1] + STAGE_NETS[2]
# a translator: images -> (translated images, fusion mask or None)
Translator = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]


def build_networks(config: SCANConfig) -> dict[str, nn.Module]:
    """The eight networks, in :data:`NETS` order (stage-1 G is ``SCANGenerator.stage1``, stage-2 ``.stage2``)."""
    nets: dict[str, nn.Module] = {}
    for direction, judged in (("AB", "B"), ("BA", "A")):
        G, D1, D2 = build_scan(
            config.ngf, config.ndf, config.n_blocks, config.stage1_n_blocks, config.n_layers
        )
        nets.update({f"G1_{direction}": G.stage1, f"G2_{direction}": G.stage2})
        nets.update({f"D1_{judged}": D1, f"D2_{judged}": D2})
    return {name: nets[name] for name in NETS}


def stacked_generators(nets: dict[str, nn.Module]) -> dict[str, SCANGenerator]:
    """{"G_AB", "G_BA"}: both stages of each direction as one module (sharing the networks' parameters)."""
    return {f"G_{d}": SCANGenerator(nets[f"G1_{d}"], nets[f"G2_{d}"]) for d in ("AB", "BA")}


class SCANTask(Task):
    """SCAN's part of the training loop: two CycleGANs trained one after the other, the second stacked."""

    def __init__(self, config: SCANConfig, device: torch.device, rank: int, world: int, n_data: int):
        super().__init__(config, device, rank, world, n_data)
        probe = BatchSchedule(
            n_data, config.batch_size, config.seed, 0, 0, rank, world, config.max_iters_per_epoch
        )
        self.iters_per_epoch = probe.steps_per_epoch
        self.stage1_epochs = config.stage1_n_epochs + config.stage1_n_epochs_decay
        self.switch_step = self.stage1_epochs * self.iters_per_epoch
        self.total_steps = self.switch_step + (config.n_epochs + config.n_epochs_decay) * self.iters_per_epoch
        self.max_steps_per_epoch = config.max_iters_per_epoch

    def stage(self, step: int) -> int:
        """1 for steps before the switch, 2 after."""
        return 1 if step < self.switch_step else 2

    def build(self) -> None:
        c, device, world, rank = self.config, self.device, self.world, self.rank
        raw = build_networks(c)
        paired = c.seed if c.paired_init else None
        for name, net in raw.items():
            runtime.init_weights(net, c.init_std, paired, prefix=f"{name}/")
        self.raw = {k: runtime.prepare_module(v, device, c, world) for k, v in raw.items()}
        betas = (c.beta1, c.beta2)
        epochs = {1: (c.stage1_n_epochs, c.stage1_n_epochs_decay), 2: (c.n_epochs, c.n_epochs_decay)}
        self.opt_G, self.opt_D, self.sched_G, self.sched_D = {}, {}, {}, {}
        self.scaler_G, self.scaler_D, self.pool_A, self.pool_B = {}, {}, {}, {}
        for s, (g_ab, g_ba, d_a, d_b) in STAGE_NETS.items():
            params_G = itertools.chain(self.raw[g_ab].parameters(), self.raw[g_ba].parameters())
            params_D = itertools.chain(self.raw[d_a].parameters(), self.raw[d_b].parameters())
            self.opt_G[s] = torch.optim.Adam(params_G, c.lr, betas=betas)
            self.opt_D[s] = torch.optim.Adam(params_D, c.lr, betas=betas)
            self.sched_G[s] = linear_decay_scheduler(self.opt_G[s], *epochs[s])
            self.sched_D[s] = linear_decay_scheduler(self.opt_D[s], *epochs[s])
            self.scaler_G[s] = runtime.make_scaler(c, device)
            self.scaler_D[s] = runtime.make_scaler(c, device)
            self.pool_A[s] = ImagePool(c.pool_size, seed=c.seed * 1009 + 4 * rank + 2 * s + 9)
            self.pool_B[s] = ImagePool(c.pool_size, seed=c.seed * 1009 + 4 * rank + 2 * s + 10)

    def stateful(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for s in STAGE_NETS:
            out.update(
                {
                    f"opt_G{s}": self.opt_G[s],
                    f"opt_D{s}": self.opt_D[s],
                    f"sched_G{s}": self.sched_G[s],
                    f"sched_D{s}": self.sched_D[s],
                    f"scaler_G{s}": self.scaler_G[s],
                    f"scaler_D{s}": self.scaler_D[s],
                }
            )
        return out

    def pools(self) -> dict[str, ImagePool]:
        return {
            f"pool{s}_{d}": pools[s]
            for s in STAGE_NETS
            for d, pools in (("A", self.pool_A), ("B", self.pool_B))
        }

    def fix_samples(self, dataset: Dataset) -> None:
        with runtime.preserved_rng():  # reading the fixed pairs must not move the run's RNG streams
            fixed = [dataset[i] for i in range(min(self.config.n_samples, len(dataset)))]
        self.fixed_A = torch.stack([f["A"] for f in fixed]).to(self.device)
        self.fixed_B = torch.stack([f["B"] for f in fixed]).to(self.device)

    def pyramid_trainable(self, step: int) -> bool:
        return True  # no SPAP/ASPP/atrous parameters in the baseline

    def _translator(self, stage: int, direction: str) -> Translator:
        """Stage 1: ``G1`` on half-resolution images. Stage 2: the stacked translator, stage 1 under no_grad."""
        if stage == 1:
            G1 = self.nets[f"G1_{direction}"]
            return lambda x: (G1(x), None)
        G1_raw, G2 = self.raw[f"G1_{direction}"], self.nets[f"G2_{direction}"]

        def translate(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
            with torch.no_grad():
                coarse = upsample(G1_raw(downsample(x)))
            return G2(x, coarse, return_mask=True)

        return translate

    def step(self, step: int, batches: Iterator[Any]) -> tuple[dict[str, float], dict[str, Any]]:
        c, device, world, raw = self.config, self.device, self.world, self.raw
        lam, lam_idt, mode = c.lambda_cyc, c.lambda_cyc * c.lambda_identity, c.gan_mode
        s = self.stage(step)
        batch = next(batches)
        real_A = runtime.to_input(batch["A"], c, device)
        real_B = runtime.to_input(batch["B"], c, device)
        if s == 1:
            real_A, real_B = downsample(real_A), downsample(real_B)
        G_AB, G_BA = self._translator(s, "AB"), self._translator(s, "BA")
        D_A_raw, D_B_raw = raw[f"D{s}_A"], raw[f"D{s}_B"]
        with runtime.autocast(c, device):
            fake_B, mask_B = G_AB(real_A)
            rec_A = G_BA(fake_B)[0]
            fake_A, mask_A = G_BA(real_B)
            rec_B = G_AB(fake_A)[0]
            with no_param_grads(D_A_raw), no_param_grads(D_B_raw):
                loss_gan_AB = adversarial(D_B_raw(fake_B), True, mode)
                loss_gan_BA = adversarial(D_A_raw(fake_A), True, mode)
            loss_cyc = lam * (l1(rec_A, real_A) + l1(rec_B, real_B))
            loss_idt = torch.zeros((), device=device)
            if lam_idt > 0:
                loss_idt = lam_idt * (l1(G_AB(real_B)[0], real_B) + l1(G_BA(real_A)[0], real_A))
            loss_G = loss_gan_AB + loss_gan_BA + loss_cyc + loss_idt
        self.opt_G[s].zero_grad(set_to_none=True)
        self.scaler_G[s].scale(loss_G).backward()
        self.scaler_G[s].step(self.opt_G[s])
        self.scaler_G[s].update()

        pooled_B = self.pool_B[s].query(fake_B.detach())
        pooled_A = self.pool_A[s].query(fake_A.detach())
        with runtime.autocast(c, device):
            out_B = self.nets[f"D{s}_B"](torch.cat([real_B, pooled_B.to(real_B.dtype)]))
            out_A = self.nets[f"D{s}_A"](torch.cat([real_A, pooled_A.to(real_A.dtype)]))
            n = len(real_A)
            loss_D_B = cyclegan_d_loss(out_B[:n], out_B[n:], mode)
            loss_D_A = cyclegan_d_loss(out_A[:n], out_A[n:], mode)
        self.opt_D[s].zero_grad(set_to_none=True)
        self.scaler_D[s].scale(loss_D_A + loss_D_B).backward()
        self.scaler_D[s].step(self.opt_D[s])
        self.scaler_D[s].update()

        lr_now = self.opt_G[s].param_groups[0]["lr"]  # the lr this step trained with
        if (step + 1) % self.iters_per_epoch == 0:  # end of an epoch of this stage
            self.sched_G[s].step()
            self.sched_D[s].step()
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
        extra: dict[str, Any] = {"stage": s, "epoch": step // self.iters_per_epoch, "lr": lr_now}
        if mask_A is not None and mask_B is not None:
            extra["mask_mean"] = round(runtime.all_mean(0.5 * (mask_A.mean() + mask_B.mean()), world), 6)
        return losses, extra

    def postfix(self, losses: dict[str, float], extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "stage": extra["stage"],
            "epoch": extra["epoch"],
            "loss_G": f"{losses['loss_G']:.3f}",
            "loss_D_B": f"{losses['loss_D_B']:.3f}",
        }

    @torch.no_grad()
    def save_samples(self, run: RunDir, step: int) -> None:
        """Rows: A, up(stage-1 A->B), SCAN A->B, B, up(stage-1 B->A), SCAN B->A (eval mode)."""
        if not run.write:
            return
        for net in self.raw.values():
            net.eval()
        gens = stacked_generators(self.raw)
        rows = []
        for x, G in ((self.fixed_A, gens["G_AB"]), (self.fixed_B, gens["G_BA"])):
            rows += [x, G.coarse(x), G(x)]
        for net in self.raw.values():
            net.train()
        grid = torch.cat([r.float() for r in rows])
        run.save_grid(grid, f"step_{step:07d}.png", nrow=len(self.fixed_A))

    def params(self) -> dict[str, Any]:
        return {**super().params(), "stage2_from_step": self.switch_step}

    @property
    def description(self) -> str:
        return f"scan {self.config.dataset}"


def train_scan(
    config: SCANConfig,
    run_dir: str | Path,
    dataset: Dataset | None = None,
    until_step: int | None = None,
) -> Path:
    """Train (or resume) SCAN, stage 1 then stage 2; return the run folder.

    ``dataset`` replaces the config's dataset (items: dicts with "A" and "B" tensors in [-1, 1] at
    ``crop_size``); ``until_step`` stops after that many iterations with a checkpoint.
    """
    return train_run(SCANTask, config, run_dir, dataset, until_step)
