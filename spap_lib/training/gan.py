"""SNDCGAN trainer (Sec. 4.3): non-saturating loss (Eq. 1), Adam (D 2e-4, G 1e-4, betas (0.5, 0.999)),
one D step per G step, pyramid parameters frozen for the first ``freeze_steps`` generator steps.

Per step: D sees one real batch and ``G(z)`` for a fresh z in a single forward (``cat([real, fake])``; the
SNDCGAN discriminator has no batch norm, so this equals two forwards except that spectral norm does one
power iteration per D step instead of two); then G steps on a fresh z through the unwrapped D with D's
parameters not requiring grad. z ~ U(-1, 1) (compare_gan's default) from a seeded generator stored in the
checkpoint; under DDP every rank draws the global batch and keeps its slice, so K processes use the same z
as one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import build_sndcgan
from spap_lib.training import runtime
from spap_lib.training.config import GANConfig
from spap_lib.training.loop import GANOptimizers, Task, mean_losses, no_param_grads, train_run
from spap_lib.training.losses import d_loss_nonsaturating, g_loss_nonsaturating
from spap_lib.training.runtime import unwrap
from spap_lib.training.schedule import pyramid_trainable


def draw_z(n: int, z_dim: int, dist: str, generator: torch.Generator) -> torch.Tensor:
    """Latent codes on the CPU from ``generator``: U(-1, 1) (compare_gan default) or N(0, I)."""
    if dist == "normal":
        return torch.randn(n, z_dim, generator=generator)
    return torch.rand(n, z_dim, generator=generator) * 2 - 1


@torch.no_grad()
def sample(
    G: nn.Module,
    n: int,
    seed: int = 0,
    batch_size: int = 64,
    z_dist: str | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``n`` images in [-1, 1] from generator ``G`` (eval mode) with z drawn from ``seed`` (CPU tensor).

    ``z_dist`` defaults to the one the run trained with (set by :func:`load_generators`), else uniform.
    """
    G = unwrap(G)
    dist = z_dist or getattr(G, "z_dist", "uniform")
    device = torch.device(device) if device is not None else next(G.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    was_training = G.training
    G.eval()
    out = []
    for start in range(0, n, batch_size):
        z = draw_z(min(batch_size, n - start), G.z_dim, dist, gen)
        out.append(G(z.to(device)).float().cpu())
    G.train(was_training)
    return torch.cat(out) if out else torch.empty(0, 3, G.img_size, G.img_size)


def sample_attention(G: nn.Module, n: int, seed: int = 0) -> dict[str, Any]:
    """``n`` samples of a SPAP generator (:func:`sample`, the same z) and the attention maps of every fuse
    while it drew them (Figs. 7-9): ``{"images": uint8 (n, H, W, 3), "maps": {fuse label: (n, h, w)}}``."""
    from spap_lib.metrics.image_quality import to_uint8
    from spap_lib.models import capture_attention

    with capture_attention(G) as maps:
        images = to_uint8(sample(G, n, seed=seed))
    return {"images": images, "maps": {k.split("/")[-1]: torch.cat(v)[:, 0].numpy() for k, v in maps.items()}}


class GANTask(Task):
    """SNDCGAN's part of the training loop: G and D, Adam for each, the z stream, the step of Eq. 1."""

    progress = ("loss_D", "loss_G")
    sampled = ("G",)

    def __init__(self, config: GANConfig, device: torch.device, rank: int, world: int, n_data: int):
        super().__init__(config, device, rank, world, n_data)
        self.total_steps = config.steps
        self.batches_per_step = config.d_steps
        self.local = config.batch_size // world

    def build(self) -> None:
        c = self.config
        G, D = build_sndcgan(c.variant, c.image_size, c.width, c.z_dim)
        self.init_networks({"G": G, "D": D})
        betas = (c.beta1, c.beta2)
        self.opt = GANOptimizers(
            torch.optim.Adam(self.raw["G"].parameters(), c.lr_g, betas=betas),
            torch.optim.Adam(self.raw["D"].parameters(), c.lr_d, betas=betas),
            runtime.make_scaler(c, self.device),
            runtime.make_scaler(c, self.device),
        )
        self.z_gen = torch.Generator().manual_seed(c.seed * 7919 + 1)

    def stateful(self) -> dict[str, Any]:
        return self.opt.stateful()

    def load(self, checkpoint: dict[str, Any]) -> None:
        super().load(checkpoint)
        self.z_gen.set_state(checkpoint["z_generator"])

    def payload(self) -> dict[str, Any]:
        return {**super().payload(), "z_generator": self.z_gen.get_state()}

    def fix_samples(self, dataset: Dataset) -> None:
        c = self.config
        g = torch.Generator().manual_seed(c.seed + 2)
        self.fixed_z = draw_z(c.n_samples, c.z_dim, c.z_dist, g).to(self.device)

    def pyramid_trainable(self, step: int) -> bool:
        return pyramid_trainable(step, self.config.freeze_steps)

    def _next_z(self) -> torch.Tensor:
        c = self.config
        z = draw_z(c.batch_size, c.z_dim, c.z_dist, self.z_gen)
        return runtime.to_input(z[self.rank * self.local : (self.rank + 1) * self.local], c, self.device)

    def step(self, step: int, batches: Iterator[Any]) -> tuple[dict[str, float], dict[str, Any]]:
        c, device, world = self.config, self.device, self.world
        G, D, D_raw = self.nets["G"], self.nets["D"], self.raw["D"]
        for _ in range(c.d_steps):
            real = runtime.to_input(next(batches), c, device)
            z = self._next_z()
            with runtime.autocast(c, device):
                with torch.no_grad():
                    fake = G(z)
                logits = D(torch.cat([real, fake.to(real.dtype)])).float()
                d_real, d_fake = logits[: len(real)], logits[len(real) :]
                loss_D = d_loss_nonsaturating(d_real, d_fake)
            self.opt.step_D(loss_D)
        z = self._next_z()
        with no_param_grads(D_raw), runtime.autocast(c, device):
            loss_G = g_loss_nonsaturating(D_raw(G(z)).float())
        self.opt.step_G(loss_G)
        losses = mean_losses(
            world,
            loss_D=loss_D,
            loss_G=loss_G,
            D_real=torch.sigmoid(d_real).mean(),
            D_fake=torch.sigmoid(d_fake).mean(),
        )
        return losses, {}

    def sample_grid(self) -> tuple[torch.Tensor, int]:
        """G(fixed z), about square."""
        return self.raw["G"](self.fixed_z), max(1, int(len(self.fixed_z) ** 0.5))


def train_gan(
    config: GANConfig,
    run_dir: str | Path,
    dataset: Dataset | None = None,
    until_step: int | None = None,
) -> Path:
    """Train (or resume) an SNDCGAN variant; return the run folder.

    ``dataset`` replaces the config's dataset (items: (3, H, W) tensors in [-1, 1]); ``until_step`` stops
    after that many generator steps with a checkpoint, as an interruption would (the run resumes later).
    """
    return train_run(GANTask, config, run_dir, dataset, until_step)
