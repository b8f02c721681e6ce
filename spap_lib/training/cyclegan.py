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
import time
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import (
    CycleGANGenerator,
    PatchGANDiscriminator,
    count_parameters,
    set_pyramid_trainable,
)
from spap_lib.training import engine
from spap_lib.training.config import CycleGANConfig, validate
from spap_lib.training.data import BatchSchedule, build_dataset, make_loader
from spap_lib.training.gan import no_param_grads
from spap_lib.training.loop import (
    open_session,
    record,
    restore_common,
    save_checkpoint,
    write_summary,
)
from spap_lib.training.losses import adversarial, discriminator_cycle_loss, l1
from spap_lib.training.pool import ImagePool
from spap_lib.training.schedule import linear_decay_scheduler, pyramid_trainable
from spap_lib.training.state import pick_device, preserved_rng, set_determinism

NETS = ("G_AB", "G_BA", "D_A", "D_B")


def build_networks(config: CycleGANConfig) -> dict[str, nn.Module]:
    """The four networks of one variant (reference layout, see :mod:`spap_lib.models.cyclegan`)."""
    g = {
        name: CycleGANGenerator(config.variant, config.ngf, config.n_blocks)
        for name in ("G_AB", "G_BA")
    }
    d = {
        name: PatchGANDiscriminator(config.variant, config.ndf, config.n_layers)
        for name in ("D_A", "D_B")
    }
    return {**g, **d}


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
    config = validate(config)
    with engine.threads(config.threads):
        return _train_cyclegan(config, run_dir, dataset, until_step)


def _train_cyclegan(
    config: CycleGANConfig,
    run_dir: str | Path,
    dataset: Dataset | None = None,
    until_step: int | None = None,
) -> Path:
    device = pick_device(config.device)
    rank, world, device = engine.init_distributed(device)
    session = open_session(config, run_dir, device, rank, world)
    run = session.run
    if dataset is None:
        dataset = build_dataset(config)
    probe = BatchSchedule(len(dataset), config.batch_size, config.seed, 0, 0, rank, world,
                          config.max_iters_per_epoch)  # fmt: skip
    ipe = probe.steps_per_epoch
    epochs = config.n_epochs + config.n_epochs_decay
    total = epochs * ipe
    if session.finished(total):
        return run.root
    set_determinism(config.seed, config.deterministic)

    raw = build_networks(config)
    paired = config.seed if config.paired_init else None
    for name, net in raw.items():
        engine.init_weights(net, config.init_std, paired, prefix=f"{name}/")
    raw = {k: engine.prepare_module(v, device, config, world) for k, v in raw.items()}
    betas = (config.beta1, config.beta2)
    opt_G = torch.optim.Adam(
        itertools.chain(raw["G_AB"].parameters(), raw["G_BA"].parameters()), config.lr, betas=betas
    )
    opt_D = torch.optim.Adam(
        itertools.chain(raw["D_A"].parameters(), raw["D_B"].parameters()), config.lr, betas=betas
    )
    sched_G = linear_decay_scheduler(opt_G, config.n_epochs, config.n_epochs_decay)
    sched_D = linear_decay_scheduler(opt_D, config.n_epochs, config.n_epochs_decay)
    scaler_G, scaler_D = engine.make_scaler(config, device), engine.make_scaler(config, device)
    pool_A = ImagePool(config.pool_size, seed=config.seed * 1009 + 2 * rank + 11)
    pool_B = ImagePool(config.pool_size, seed=config.seed * 1009 + 2 * rank + 12)
    stateful = {
        "opt_G": opt_G,
        "opt_D": opt_D,
        "sched_G": sched_G,
        "sched_D": sched_D,
        "scaler_G": scaler_G,
        "scaler_D": scaler_D,
        "pool_A": pool_A,
        "pool_B": pool_B,
    }
    ckpt = session.checkpoint
    if ckpt is not None:
        for name in NETS:
            raw[name].load_state_dict(ckpt[name])
        for name, obj in stateful.items():
            obj.load_state_dict(ckpt[name] if "pool" not in name else ckpt[name][rank])
    restore_common(session)
    with preserved_rng():  # fixed sample pairs: reading them must not move the run's RNG streams
        fixed = [dataset[i] for i in range(min(config.n_samples, len(dataset)))]
    fixed_A = torch.stack([f["A"] for f in fixed]).to(device)
    fixed_B = torch.stack([f["B"] for f in fixed]).to(device)

    start = session.start_step
    stop = total if until_step is None else min(total, until_step)
    schedule = BatchSchedule(len(dataset), config.batch_size, config.seed, start, stop, rank, world,
                             config.max_iters_per_epoch)  # fmt: skip
    loader = iter(
        make_loader(dataset, schedule, config.num_workers, device.type == "cuda", torch.Generator())
    )
    params = {f"params_{k}": count_parameters(v) for k, v in raw.items()}
    params["iters_per_epoch"] = ipe

    def payload() -> dict:
        out: dict = {name: raw[name].state_dict() for name in NETS}
        for name, obj in stateful.items():
            out[name] = obj.state_dict()
        for name, pool in (("pool_A", pool_A), ("pool_B", pool_B)):
            out[name] = _gather_pool(pool, world)
        return out

    trainable: bool | None = None
    nets: dict[str, nn.Module] = dict(raw)
    lam, lam_idt = config.lambda_cyc, config.lambda_cyc * config.lambda_identity
    mode = config.gan_mode
    desc = f"cyclegan {config.variant} {config.dataset}"
    with engine.progress(total, start, config, rank, desc) as bar:
        for step in range(start, stop):
            t_step = time.perf_counter()
            epoch = step // ipe
            want = pyramid_trainable(epoch, config.freeze_epochs)
            if want != trainable:
                for name in NETS:
                    set_pyramid_trainable(raw[name], want)
                nets = {k: engine.wrap(v, config, world, device) for k, v in raw.items()}
                trainable = want
            batch = next(loader)
            real_A = engine.to_input(batch["A"], config, device)
            real_B = engine.to_input(batch["B"], config, device)
            G_AB, G_BA = nets["G_AB"], nets["G_BA"]
            with engine.autocast(config, device):
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
            opt_G.zero_grad(set_to_none=True)
            scaler_G.scale(loss_G).backward()
            scaler_G.step(opt_G)
            scaler_G.update()

            pooled_B = pool_B.query(fake_B.detach())
            pooled_A = pool_A.query(fake_A.detach())
            with engine.autocast(config, device):
                out_B = nets["D_B"](torch.cat([real_B, pooled_B.to(real_B.dtype)]))
                out_A = nets["D_A"](torch.cat([real_A, pooled_A.to(real_A.dtype)]))
                n = len(real_A)
                loss_D_B = discriminator_cycle_loss(out_B[:n], out_B[n:], mode)
                loss_D_A = discriminator_cycle_loss(out_A[:n], out_A[n:], mode)
            opt_D.zero_grad(set_to_none=True)
            scaler_D.scale(loss_D_A + loss_D_B).backward()
            scaler_D.step(opt_D)
            scaler_D.update()

            done = step + 1
            lr_now = opt_G.param_groups[0]["lr"]  # the lr this step trained with
            if done % ipe == 0:  # end of an epoch: the reference steps its schedulers here
                sched_G.step()
                sched_D.step()
            losses = {
                name: engine.all_mean(value, world)
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
            session.step_times.append(time.perf_counter() - t_step)
            extra = {
                "epoch": epoch,
                "lr": lr_now,
                "pyramid_trainable": bool(trainable),
            }
            record(session, done, losses, extra)
            if done % config.log_every == 0:
                bar.set_postfix(
                    epoch=epoch,
                    loss_G=f"{losses['loss_G']:.3f}",
                    loss_D_B=f"{losses['loss_D_B']:.3f}",
                )
            bar.update(1)
            if done % config.sample_every == 0 or done == total:
                _save_samples(run, raw, fixed_A, fixed_B, done)
            if done % config.checkpoint_every == 0 or done == stop:
                save_checkpoint(session, done, payload())
    if start == stop and start < total:
        save_checkpoint(session, start, payload())
    if stop == total and rank == 0:
        if start == stop:
            _save_samples(run, raw, fixed_A, fixed_B, stop)
        write_summary(session, total, params)
    engine.barrier(world)
    return run.root


def _gather_pool(pool: ImagePool, world: int) -> list[dict]:
    """Every rank's pool (rank order); each rank restores its own."""
    state = pool.state_dict()
    if world == 1:
        return [state]
    import torch.distributed as dist

    out: list = [None] * world
    dist.all_gather_object(out, state)
    return out


@torch.no_grad()
def _save_samples(
    run, raw: dict[str, nn.Module], A: torch.Tensor, B: torch.Tensor, step: int
) -> None:
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
