"""What both trainers do around their step: start or resume a run folder, checkpoint, log and summarise.

A run folder with ``checkpoints/last.pt`` is resumed (its config.json must match the given config except
for bookkeeping fields, see :data:`spap_lib.training.config.RESUMABLE_FIELDS`); a finished run (summary.json
present and all steps done) returns at once, so notebooks and the book can call the trainers idempotently.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from spap_lib.io import atomic_save
from spap_lib.training.config import Config, check_resume_compatible, config_to_dict, dumps
from spap_lib.training.rundir import RunDir, check_finite, environment
from spap_lib.training.state import load_checkpoint, rng_state, set_rng_state


@dataclass
class Session:
    """One invocation of a trainer on a run folder."""

    config: Config
    run: RunDir
    device: torch.device
    rank: int
    world: int
    checkpoint: dict[str, Any] | None
    start_step: int = 0
    elapsed_before: float = 0.0
    step_times: list[float] = field(default_factory=list)
    last_losses: dict[str, float] = field(default_factory=dict)
    t0: float = field(default_factory=time.perf_counter)

    def finished(self, total_steps: int) -> bool:
        """All steps done and summarised: nothing left to train."""
        return self.start_step >= total_steps and (self.run.root / "summary.json").exists()


def open_session(
    config: Config, run_dir: str | Path, device: torch.device, rank: int, world: int
) -> Session:
    run = RunDir(run_dir, write=rank == 0)
    checkpoint = None
    if run.checkpoint.exists():
        saved_path = run.root / "config.json"
        if saved_path.exists():
            check_resume_compatible(json.loads(saved_path.read_text()), config)
        checkpoint = load_checkpoint(run.checkpoint)
    session = Session(config, run, device, rank, world, checkpoint)
    if checkpoint is not None:
        session.start_step = int(checkpoint["step"])
        session.elapsed_before = float(checkpoint["elapsed"])
        run.truncate_log(session.start_step)
    else:
        run.truncate_log(0)
        if run.write:
            (run.root / "summary.json").unlink(missing_ok=True)
    run.write_json("config.json", config_to_dict(config))
    return session


def restore_common(session: Session) -> None:
    """Global RNG states from the checkpoint (after models and optimisers are built)."""
    if session.checkpoint is not None:
        set_rng_state(
            session.checkpoint["rng"][min(session.rank, len(session.checkpoint["rng"]) - 1)]
        )


def gather_rng(world: int) -> list[dict[str, Any]]:
    """Every rank's global RNG state (rank order), for the checkpoint."""
    state = rng_state()
    if world == 1:
        return [state]
    import torch.distributed as dist

    out: list[Any] = [None] * world
    dist.all_gather_object(out, state)
    return out


def save_checkpoint(session: Session, step: int, payload: dict[str, Any]) -> None:
    rngs = gather_rng(session.world)
    if session.rank != 0:
        return
    payload = dict(payload)
    payload.update(
        step=step,
        elapsed=session.elapsed_before + time.perf_counter() - session.t0,
        rng=rngs,
        config=dumps(session.config),
    )
    atomic_save(payload, session.run.checkpoint)


def record(session: Session, step: int, losses: dict[str, float], extra: dict[str, Any]) -> None:
    """Stop on a non-finite loss; log every ``log_every`` steps (``step`` is 1-based here)."""
    check_finite(step, losses, session.run.checkpoint)
    session.last_losses = losses
    if step % session.config.log_every == 0:
        step_s = round(session.step_times[-1], 5) if session.step_times else None
        rounded = {k: round(v, 6) for k, v in losses.items()}
        session.run.log({"step": step, **rounded, **extra, "step_s": step_s})


def write_summary(session: Session, steps: int, extra: dict[str, Any]) -> None:
    times = session.step_times[1:] or session.step_times  # the first step pays one-off costs
    summary = {
        "kind": session.config.kind,
        "variant": session.config.variant,
        "steps": steps,
        "final_losses": session.last_losses,
        "wall_time_s": round(session.elapsed_before + time.perf_counter() - session.t0, 3),
        "seconds_per_step": round(statistics.mean(times), 5) if times else None,
        "median_step_s": round(statistics.median(times), 5) if times else None,
        "resumed_at_step": session.start_step or None,
        "world_size": session.world,
        **environment(session.device),
        **extra,
    }
    session.run.write_json("summary.json", summary)
