"""The training loop all four recipes share (Sec. 4.3), read top to bottom: set up, resume, train, wrap up;
and the pieces of a step every recipe uses.

Holds :class:`Task` (what the loop asks of a recipe), :func:`train_run` (the loop), :class:`GANOptimizers`
(a G/D pair of Adams with their grad scalers and, for the epoch-counted recipes, their lr schedules),
:func:`optimizer_step` (zero grads, scaled backward, step, scaler update), :func:`no_param_grads`,
:func:`evaluating` and :func:`mean_losses`.

What differs between the recipes -- networks, optimisers, one training step, samples -- lives in a
:class:`Task` subclass: SNDCGAN's in ``gan.py``; the epoch-counted ones (CycleGAN, Pix2Pix, SCAN) derive
from :class:`spap_lib.training.epochs.EpochTask`. What a run folder holds and how a run resumes lives in
``rundir.py``; device, determinism and wrapping in ``runtime.py``.

Order of the set-up matters for exact resume and is the same for every recipe: the dataset is built (before
the run folder is touched, so a wrong data root writes nothing), the run folder opened (its checkpoint read),
every global RNG seeded, the networks built and initialised, the
optimisers made; then a checkpoint's states are loaded and the global RNG restored, and only then are the
fixed sample inputs drawn and the batch order started at the resumed step.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from torch.utils.data import Dataset

from spap_lib.models import count_parameters, set_pyramid_trainable
from spap_lib.training import runtime
from spap_lib.training.config import Config, validate
from spap_lib.training.data import BatchSchedule, build_dataset, make_loader
from spap_lib.training.pool import ImagePool, gather_pool
from spap_lib.training.rundir import (
    RunDir,
    RunLock,
    Session,
    bad_checkpoint,
    check_run_dir,
    open_session,
    record,
    restore_rng_states,
    save_checkpoint,
    write_summary,
)


def optimizer_step(
    loss: torch.Tensor, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler
) -> None:
    """One optimiser step on ``loss``: zero the grads, (scaled) backward, step, update the scaler.

    The scaler is disabled except under fp16 (:func:`runtime.make_scaler`), where it is a plain backward and step.
    """
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()


@dataclass
class GANOptimizers:
    """The Adam of G and of D, a grad scaler for each, and (epoch-counted recipes) a linear-decay schedule each."""

    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    scaler_G: torch.amp.GradScaler
    scaler_D: torch.amp.GradScaler
    sched_G: torch.optim.lr_scheduler.LRScheduler | None = None
    sched_D: torch.optim.lr_scheduler.LRScheduler | None = None

    def step_G(self, loss: torch.Tensor) -> None:
        optimizer_step(loss, self.opt_G, self.scaler_G)

    def step_D(self, loss: torch.Tensor) -> None:
        optimizer_step(loss, self.opt_D, self.scaler_D)

    def stateful(self, suffix: str = "") -> dict[str, Any]:
        """By checkpoint key (``opt_G``, ``opt_D``, ``sched_G``, ``sched_D``, ``scaler_G``, ``scaler_D``, each
        followed by ``suffix``; the schedules only where there are some)."""
        out: dict[str, Any] = {"opt_G": self.opt_G, "opt_D": self.opt_D}
        if self.sched_G is not None and self.sched_D is not None:
            out.update(sched_G=self.sched_G, sched_D=self.sched_D)
        out.update(scaler_G=self.scaler_G, scaler_D=self.scaler_D)
        return {f"{key}{suffix}": obj for key, obj in out.items()}


@contextlib.contextmanager
def no_param_grads(*modules: nn.Module) -> Iterator[None]:
    """Parameters of ``modules`` do not require grad inside (the reference ``set_requires_grad(D, False)``)."""
    params = [p for module in modules for p in module.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


@contextlib.contextmanager
def evaluating(nets: Iterable[nn.Module]) -> Iterator[None]:
    """``nets`` in eval mode inside (sample grids: no batch statistic or dropout RNG moves), train mode after."""
    nets = list(nets)
    for net in nets:
        net.eval()
    try:
        yield
    finally:
        for net in nets:
            net.train()


def mean_losses(world: int, **values: torch.Tensor) -> dict[str, float]:
    """The logged losses: each scalar averaged over processes (:func:`runtime.all_mean`), in the given order."""
    return {name: runtime.all_mean(value, world) for name, value in values.items()}


class Task:
    """One recipe's part of training. Subclasses set ``raw`` (name -> network) in :meth:`build`."""

    def __init__(self, config: Config, device: torch.device, rank: int, world: int, n_data: int):
        self.config, self.device, self.rank, self.world = config, device, rank, world
        self.raw: dict[str, nn.Module] = {}
        self.nets: dict[str, nn.Module] = {}  # the networks as the step calls them (DDP/compile)

    # --- what the loop asks of a recipe ---
    total_steps: int
    batches_per_step: int = 1
    max_steps_per_epoch: int = 0
    described: tuple[str, ...] = ("kind", "variant")  # the config fields naming the run on the progress bar
    progress: tuple[str, ...] = ()  # the extra fields and losses the progress bar shows
    sampled: tuple[str, ...] | None = None  # the networks the sample grid runs (in eval mode); None: all

    def build(self) -> None:
        """Networks (initialised), optimisers and the recipe's own RNG streams."""
        raise NotImplementedError

    def init_networks(self, raw: dict[str, nn.Module]) -> None:
        """Initialise ``raw`` (in its order; paired with the seed when ``paired_init``) and place it as ``self.raw``."""
        c = self.config
        paired = c.seed if c.paired_init else None
        for name, net in raw.items():
            runtime.init_weights(net, c.init_std, paired, prefix=f"{name}/")
        self.raw = {k: runtime.prepare_module(v, self.device, c, self.world) for k, v in raw.items()}

    def stateful(self) -> dict[str, Any]:
        """Optimisers, schedulers and grad scalers by checkpoint key (each has ``state_dict``)."""
        raise NotImplementedError

    def pools(self) -> dict[str, ImagePool]:
        """Image pools by checkpoint key; each rank keeps its own, the checkpoint holds every rank's."""
        return {}

    def load(self, checkpoint: dict[str, Any]) -> None:
        for name, net in self.raw.items():
            net.load_state_dict(checkpoint[name])
        for name, obj in self.stateful().items():
            obj.load_state_dict(checkpoint[name])
        for name, pool in self.pools().items():
            pool.load_state_dict(checkpoint[name][self.rank])

    def payload(self) -> dict[str, Any]:
        """Everything of the recipe a checkpoint holds."""
        out: dict[str, Any] = {name: net.state_dict() for name, net in self.raw.items()}
        out.update({name: obj.state_dict() for name, obj in self.stateful().items()})
        out.update({name: gather_pool(pool, self.world) for name, pool in self.pools().items()})
        return out

    def fix_samples(self, dataset: Dataset) -> None:
        """The fixed inputs of the sample grids (after the RNG is restored)."""
        raise NotImplementedError

    def pyramid_trainable(self, step: int) -> bool:
        raise NotImplementedError

    def step(self, step: int, batches: Iterator[Any]) -> tuple[dict[str, float], dict[str, Any]]:
        """One training step; returns the logged losses and extra log fields."""
        raise NotImplementedError

    def postfix(self, losses: dict[str, float], extra: dict[str, Any]) -> dict[str, Any]:
        """The progress bar's fields: those of :attr:`progress`, the losses to three decimals."""
        return {k: extra[k] if k in extra else f"{losses[k]:.3f}" for k in self.progress}

    def sample_grid(self) -> tuple[torch.Tensor, int]:
        """The sample grid's images from the fixed inputs and its row length (called in eval mode, no grad)."""
        raise NotImplementedError

    def save_samples(self, run: RunDir, step: int) -> None:
        """The grid of :meth:`sample_grid` as ``samples/step_XXXXXXX.png`` (by the writing rank only)."""
        if not run.write:
            return
        nets = self.raw.values() if self.sampled is None else [self.raw[k] for k in self.sampled]
        with torch.no_grad(), evaluating(nets):
            images, nrow = self.sample_grid()
        run.save_grid(images, f"step_{step:07d}.png", nrow=nrow)

    def params(self) -> dict[str, Any]:
        """Parameter count of each network (the epoch-counted recipes add the epoch length)."""
        return {f"params_{k}": count_parameters(v) for k, v in self.raw.items()}

    @property
    def description(self) -> str:
        return " ".join(str(getattr(self.config, field)) for field in self.described)


def train_run(
    task_cls: type[Task],
    config: Config,
    run_dir: str | Path,
    dataset: Dataset | None = None,
    until_step: int | None = None,
) -> Path:
    """Train (or resume) one run of ``config`` with the recipe ``task_cls``; return the run folder.

    ``dataset`` replaces the config's dataset; ``until_step`` stops after that many steps with a checkpoint,
    as an interruption would (the run resumes later).
    """
    config = validate(config)
    rank = int(os.environ.get("RANK", "0"))
    check_run_dir(run_dir)  # a run folder that is a file or a broken link: refused before the data is made
    if dataset is None:  # before the run folder is touched: a wrong data root writes nothing
        dataset = build_dataset(config)
    with runtime.threads(config.threads), RunLock(Path(run_dir), write=rank == 0):
        return _train_run(task_cls, config, Path(run_dir), dataset, until_step)


def _train_run(
    task_cls: type[Task],
    config: Config,
    run_dir: Path,
    dataset: Dataset,
    until_step: int | None,
) -> Path:
    # --- set up: device, process group, data, run folder ---
    device = runtime.pick_device(config.device)
    rank, world, device = runtime.init_distributed(device)
    session: Session = open_session(config, run_dir, device, rank, world)
    task = task_cls(config, device, rank, world, len(dataset))
    total = task.total_steps
    if session.finished(total):
        return session.run.root
    runtime.set_determinism(config.seed, config.deterministic)
    task.build()

    # --- resume: states from the checkpoint, then the global RNG, then the fixed samples ---
    if session.checkpoint is not None:
        try:
            task.load(session.checkpoint)
            restore_rng_states(session)
        except (KeyError, IndexError, RuntimeError, TypeError, ValueError) as exc:
            why = (
                f"it lacks {exc}"
                if isinstance(exc, KeyError)
                else f"it does not fit this run: {type(exc).__name__}"
            )
            raise bad_checkpoint(session.run.checkpoint, why) from None
    else:
        restore_rng_states(session)
    task.fix_samples(dataset)
    start = session.start_step
    stop = total if until_step is None else min(total, until_step)
    per = task.batches_per_step
    schedule = BatchSchedule(
        len(dataset),
        config.batch_size,
        config.seed,
        start * per,
        stop * per,
        rank,
        world,
        task.max_steps_per_epoch,
    )
    batches = iter(
        make_loader(dataset, schedule, config.num_workers, device.type == "cuda", torch.Generator())
    )
    params = task.params()

    # --- train ---
    trainable: bool | None = None
    with runtime.progress(total, start, config, rank, task.description) as bar:
        for step in range(start, stop):
            t_step = time.perf_counter()
            want = task.pyramid_trainable(step)
            if want != trainable:  # Sec. 4.3: the pyramid trains only after the first steps/epochs
                for net in task.raw.values():
                    set_pyramid_trainable(net, want)
                task.nets = {k: runtime.wrap(v, config, world, device) for k, v in task.raw.items()}
                trainable = want
            losses, extra = task.step(step, batches)
            session.step_times.append(time.perf_counter() - t_step)
            done = step + 1
            record(session, done, losses, {**extra, "pyramid_trainable": bool(trainable)})
            if done % config.log_every == 0:
                bar.set_postfix(**task.postfix(losses, extra))
            bar.update(1)
            if done % config.sample_every == 0 or done == total:
                task.save_samples(session.run, done)
            if done % config.checkpoint_every == 0 or done == stop:
                save_checkpoint(session, done, task.payload())

    # --- wrap up ---
    if start == stop and start < total:
        save_checkpoint(session, start, task.payload())
    if stop == total and rank == 0:
        if start == stop:  # resumed a finished run whose summary was lost
            task.save_samples(session.run, stop)
        write_summary(session, total, params)
    runtime.barrier(world)
    return session.run.root
