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

Holds the eight networks (:func:`build_networks`, :func:`stacked_generators`), :class:`SCANTask` and
:func:`train_scan`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import SCANGenerator, build_scan
from spap_lib.models.scan import downsample, upsample
from spap_lib.training import runtime
from spap_lib.training.config import SCANConfig
from spap_lib.training.cyclegan import Translator, cycle_step, plain
from spap_lib.training.epochs import EpochTask
from spap_lib.training.loop import GANOptimizers, mean_losses, train_run
from spap_lib.training.pool import ImagePool

STAGE_NETS = {
    1: ("G1_AB", "G1_BA", "D1_A", "D1_B"),
    2: ("G2_AB", "G2_BA", "D2_A", "D2_B"),
}
NETS = STAGE_NETS[1] + STAGE_NETS[2]


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


class SCANTask(EpochTask):
    """SCAN's part of the training loop: two CycleGANs trained one after the other, the second stacked."""

    config: SCANConfig
    described = ("kind", "dataset")
    progress = ("stage", "epoch", "loss_G", "loss_D_B")

    def __init__(self, config: SCANConfig, device: torch.device, rank: int, world: int, n_data: int):
        super().__init__(config, device, rank, world, n_data)
        self.stage1_epochs = config.stage1_n_epochs + config.stage1_n_epochs_decay
        self.switch_step = self.stage1_epochs * self.iters_per_epoch

    def n_epochs_total(self) -> int:
        """Stage 1's epochs, then stage 2's."""
        c = self.config
        return c.stage1_n_epochs + c.stage1_n_epochs_decay + c.n_epochs + c.n_epochs_decay

    def stage(self, step: int) -> int:
        """1 for steps before the switch, 2 after."""
        return 1 if step < self.switch_step else 2

    def build(self) -> None:
        c, rank = self.config, self.rank
        self.init_networks(build_networks(c))
        epochs = {1: (c.stage1_n_epochs, c.stage1_n_epochs_decay), 2: (c.n_epochs, c.n_epochs_decay)}
        self.opt: dict[int, GANOptimizers] = {}
        self.pool_A: dict[int, ImagePool] = {}
        self.pool_B: dict[int, ImagePool] = {}
        for s, (g_ab, g_ba, d_a, d_b) in STAGE_NETS.items():
            self.opt[s] = self.make_optimizers(
                itertools.chain(self.raw[g_ab].parameters(), self.raw[g_ba].parameters()),
                itertools.chain(self.raw[d_a].parameters(), self.raw[d_b].parameters()),
                *epochs[s],
            )
            self.pool_A[s] = ImagePool(c.pool_size, seed=c.seed * 1009 + 4 * rank + 2 * s + 9)
            self.pool_B[s] = ImagePool(c.pool_size, seed=c.seed * 1009 + 4 * rank + 2 * s + 10)

    def stateful(self) -> dict[str, Any]:
        return {k: v for s in STAGE_NETS for k, v in self.opt[s].stateful(suffix=str(s)).items()}

    def pools(self) -> dict[str, ImagePool]:
        return {
            f"pool{s}_{d}": pools[s]
            for s in STAGE_NETS
            for d, pools in (("A", self.pool_A), ("B", self.pool_B))
        }

    def _translator(self, stage: int, direction: str) -> Translator:
        """Stage 1: ``G1`` on half-resolution images. Stage 2: the stacked translator, stage 1 under no_grad."""
        if stage == 1:
            return plain(self.nets[f"G1_{direction}"])
        G1_raw, G2 = self.raw[f"G1_{direction}"], self.nets[f"G2_{direction}"]

        def translate(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
            with torch.no_grad():
                coarse = upsample(G1_raw(downsample(x)))
            return G2(x, coarse, return_mask=True)

        return translate

    def step(self, step: int, batches: Iterator[Any]) -> tuple[dict[str, float], dict[str, Any]]:
        c, device, world = self.config, self.device, self.world
        s = self.stage(step)
        batch = next(batches)
        real_A = runtime.to_input(batch["A"], c, device)
        real_B = runtime.to_input(batch["B"], c, device)
        if s == 1:
            real_A, real_B = downsample(real_A), downsample(real_B)
        losses, (mask_A, mask_B) = cycle_step(
            c,
            device,
            (real_A, real_B),
            (self._translator(s, "AB"), self._translator(s, "BA")),
            (self.nets[f"D{s}_A"], self.nets[f"D{s}_B"]),
            (self.raw[f"D{s}_A"], self.raw[f"D{s}_B"]),
            (self.pool_A[s], self.pool_B[s]),
            self.opt[s],
        )
        extra: dict[str, Any] = {"stage": s, **self.end_step(step, self.opt[s])}  # this stage's schedules
        logged = mean_losses(world, **losses)
        if mask_A is not None and mask_B is not None:
            extra["mask_mean"] = round(runtime.all_mean(0.5 * (mask_A.mean() + mask_B.mean()), world), 6)
        return logged, extra

    def sample_grid(self) -> tuple[torch.Tensor, int]:
        """Rows: A, up(stage-1 A->B), SCAN A->B, B, up(stage-1 B->A), SCAN B->A."""
        gens = stacked_generators(self.raw)
        rows = []
        for x, G in ((self.fixed_A, gens["G_AB"]), (self.fixed_B, gens["G_BA"])):
            rows += [x, G.coarse(x), G(x)]
        return torch.cat([r.float() for r in rows]), len(self.fixed_A)

    def params(self) -> dict[str, Any]:
        return {**super().params(), "stage2_from_step": self.switch_step}


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
