"""The training loop both recipes share (Sec. 4.3), read top to bottom: set up, resume, train, wrap up.

What differs between SNDCGAN and CycleGAN -- networks, optimisers, one training step, samples -- lives in a
:class:`Task` (``gan.py``, ``cyclegan.py``); what a run folder holds and how a run resumes lives in
``rundir.py``; device, determinism and wrapping in ``runtime.py``.

Order of the set-up matters for exact resume and is the same for both recipes: the dataset is built (before
the run folder is touched, so a wrong data root writes nothing), the run folder opened (its checkpoint read),
every global RNG seeded, the networks built and initialised, the
optimisers made; then a checkpoint's states are loaded and the global RNG restored, and only then are the
fixed sample inputs drawn and the batch order started at the resumed step.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
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
    restore_common,
    save_checkpoint,
    write_summary,
)


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

    def build(self) -> None:
        """Networks (initialised), optimisers and the recipe's own RNG streams."""
        raise NotImplementedError

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
        raise NotImplementedError

    def save_samples(self, run: RunDir, step: int) -> None:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """Parameter count of each network, and the epoch length where the recipe counts epochs."""
        out: dict[str, Any] = {f"params_{k}": count_parameters(v) for k, v in self.raw.items()}
        if hasattr(self, "iters_per_epoch"):
            out["iters_per_epoch"] = self.iters_per_epoch
        return out

    @property
    def description(self) -> str:
        return f"{self.config.kind} {self.config.variant}"


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
            restore_common(session)
        except (KeyError, IndexError, RuntimeError, TypeError, ValueError) as exc:
            why = (
                f"it lacks {exc}"
                if isinstance(exc, KeyError)
                else f"it does not fit this run: {type(exc).__name__}"
            )
            raise bad_checkpoint(session.run.checkpoint, why) from None
    else:
        restore_common(session)
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
