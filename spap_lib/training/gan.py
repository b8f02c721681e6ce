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

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import build_sndcgan, count_parameters, set_pyramid_trainable
from spap_lib.training import engine
from spap_lib.training.config import GANConfig, validate
from spap_lib.training.data import BatchSchedule, build_dataset, make_loader
from spap_lib.training.loop import (
    open_session,
    record,
    restore_common,
    save_checkpoint,
    write_summary,
)
from spap_lib.training.losses import d_loss_nonsaturating, g_loss_nonsaturating
from spap_lib.training.schedule import pyramid_trainable
from spap_lib.training.state import pick_device, set_determinism, unwrap


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


@contextlib.contextmanager
def no_param_grads(module: nn.Module) -> Iterator[None]:
    """Parameters of ``module`` do not require grad inside (the reference ``set_requires_grad(D, False)``)."""
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


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
    config = validate(config)
    with engine.threads(config.threads):
        return _train_gan(config, run_dir, dataset, until_step)


def _train_gan(
    config: GANConfig,
    run_dir: str | Path,
    dataset: Dataset | None = None,
    until_step: int | None = None,
) -> Path:
    device = pick_device(config.device)
    rank, world, device = engine.init_distributed(device)
    session = open_session(config, run_dir, device, rank, world)
    run = session.run
    if session.finished(config.steps):
        return run.root
    set_determinism(config.seed, config.deterministic)

    G_raw, D_raw = build_sndcgan(config.variant, config.image_size, config.width, config.z_dim)
    paired = config.seed if config.paired_init else None
    engine.init_weights(G_raw, config.init_std, paired, prefix="G/")
    engine.init_weights(D_raw, config.init_std, paired, prefix="D/")
    G_raw = engine.prepare_module(G_raw, device, config, world)
    D_raw = engine.prepare_module(D_raw, device, config, world)
    opt_G = torch.optim.Adam(G_raw.parameters(), config.lr_g, betas=(config.beta1, config.beta2))
    opt_D = torch.optim.Adam(D_raw.parameters(), config.lr_d, betas=(config.beta1, config.beta2))
    scaler_G, scaler_D = engine.make_scaler(config, device), engine.make_scaler(config, device)
    z_gen = torch.Generator().manual_seed(config.seed * 7919 + 1)
    ckpt = session.checkpoint
    if ckpt is not None:
        G_raw.load_state_dict(ckpt["G"])
        D_raw.load_state_dict(ckpt["D"])
        opt_G.load_state_dict(ckpt["opt_G"])
        opt_D.load_state_dict(ckpt["opt_D"])
        scaler_G.load_state_dict(ckpt["scaler_G"])
        scaler_D.load_state_dict(ckpt["scaler_D"])
        z_gen.set_state(ckpt["z_generator"])
    restore_common(session)
    fixed_z = draw_z(
        config.n_samples,
        config.z_dim,
        config.z_dist,
        torch.Generator().manual_seed(config.seed + 2),
    )

    if dataset is None:
        dataset = build_dataset(config)
    start = session.start_step
    stop = config.steps if until_step is None else min(config.steps, until_step)
    schedule = BatchSchedule(
        len(dataset),
        config.batch_size,
        config.seed,
        start * config.d_steps,
        stop * config.d_steps,
        rank,
        world,
    )
    loader = iter(
        make_loader(dataset, schedule, config.num_workers, device.type == "cuda", torch.Generator())
    )
    local = config.batch_size // world
    params = {"params_G": count_parameters(G_raw), "params_D": count_parameters(D_raw)}

    trainable: bool | None = None
    G: nn.Module = G_raw
    D: nn.Module = D_raw

    def payload() -> dict:
        return {
            "G": G_raw.state_dict(),
            "D": D_raw.state_dict(),
            "opt_G": opt_G.state_dict(),
            "opt_D": opt_D.state_dict(),
            "scaler_G": scaler_G.state_dict(),
            "scaler_D": scaler_D.state_dict(),
            "z_generator": z_gen.get_state(),
        }

    def next_z() -> torch.Tensor:
        z = draw_z(config.batch_size, config.z_dim, config.z_dist, z_gen)
        return engine.to_input(z[rank * local : (rank + 1) * local], config, device)

    desc = f"gan {config.variant}"
    with engine.progress(config.steps, start, config, rank, desc) as bar:
        for step in range(start, stop):
            t_step = time.perf_counter()
            want = pyramid_trainable(step, config.freeze_steps)
            if want != trainable:
                set_pyramid_trainable(G_raw, want)
                set_pyramid_trainable(D_raw, want)
                G = engine.wrap(G_raw, config, world, device)
                D = engine.wrap(D_raw, config, world, device)
                trainable = want
            for _ in range(config.d_steps):
                real = engine.to_input(next(loader), config, device)
                z = next_z()
                with engine.autocast(config, device):
                    with torch.no_grad():
                        fake = G(z)
                    logits = D(torch.cat([real, fake.to(real.dtype)])).float()
                    d_real, d_fake = logits[: len(real)], logits[len(real) :]
                    loss_D = d_loss_nonsaturating(d_real, d_fake)
                opt_D.zero_grad(set_to_none=True)
                scaler_D.scale(loss_D).backward()
                scaler_D.step(opt_D)
                scaler_D.update()
            z = next_z()
            with no_param_grads(D_raw), engine.autocast(config, device):
                loss_G = g_loss_nonsaturating(D_raw(G(z)).float())
            opt_G.zero_grad(set_to_none=True)
            scaler_G.scale(loss_G).backward()
            scaler_G.step(opt_G)
            scaler_G.update()

            losses = {
                "loss_D": engine.all_mean(loss_D, world),
                "loss_G": engine.all_mean(loss_G, world),
                "D_real": engine.all_mean(torch.sigmoid(d_real).mean(), world),
                "D_fake": engine.all_mean(torch.sigmoid(d_fake).mean(), world),
            }
            session.step_times.append(time.perf_counter() - t_step)
            done = step + 1
            record(session, done, losses, {"pyramid_trainable": bool(trainable)})
            if done % config.log_every == 0:
                bar.set_postfix(loss_D=f"{losses['loss_D']:.3f}", loss_G=f"{losses['loss_G']:.3f}")
            bar.update(1)
            if done % config.sample_every == 0 or done == config.steps:
                _save_samples(run, G_raw, fixed_z.to(device), done)
            if done % config.checkpoint_every == 0 or done == stop:
                save_checkpoint(session, done, payload())
    if start == stop and start < config.steps:
        save_checkpoint(session, start, payload())
    if stop == config.steps and rank == 0:
        if start == stop:  # resumed a finished run whose summary was lost
            _save_samples(run, G_raw, fixed_z.to(device), stop)
        write_summary(session, config.steps, params)
    engine.barrier(world)
    return run.root


@torch.no_grad()
def _save_samples(run, G_raw: nn.Module, z: torch.Tensor, step: int) -> None:
    if not run.write:
        return
    G_raw.eval()
    images = G_raw(z)
    G_raw.train()
    run.save_grid(images, f"step_{step:07d}.png", nrow=max(1, int(len(z) ** 0.5)))
