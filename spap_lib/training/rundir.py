"""The run folder, and everything about starting, resuming and finishing a run in it.

Layout: ``config.json``, ``log.jsonl``, ``samples/*.png``, ``checkpoints/last.pt``, ``summary.json``.
Everything a run writes goes under its folder, atomically (temp file + ``os.replace``); ``log.jsonl`` is
append-only, one JSON object per logged step, and is truncated back to the checkpoint's step on resume so a
resumed log has no duplicate or orphan lines.

Resume: a run folder with ``checkpoints/last.pt`` is resumed; its config.json must match the given config
except for bookkeeping fields (:data:`spap_lib.training.config.RESUMABLE_FIELDS`). A finished run
(summary.json present and all steps done) returns at once, so notebooks and the book can call the trainers
idempotently. Checkpoints are plain ``torch.save`` dicts of tensors, numbers, strings and lists, loaded with
``weights_only=True``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from spap_lib.errors import ConfigError, DataError, SpapError
from spap_lib.io import (
    atomic_save,
    atomic_write,
    atomic_write_text,
    read_json_checked,
    stale_temporaries,
    write_json,
)
from spap_lib.training.config import Config, check_resume_compatible, config_to_dict, dumps
from spap_lib.training.runtime import rng_state, set_rng_state

CHECKPOINT = "checkpoints/last.pt"
LOG_FILE = "log.jsonl"


def read_log(run_dir: str | Path, missing_ok: bool = False) -> list[dict[str, Any]]:
    """The records of a run's ``log.jsonl``, one per logged step, in order (blank lines skipped).

    A missing log is ``[]`` when ``missing_ok`` (nothing logged yet: fewer steps than ``log_every``), else
    FileNotFoundError; a line that is not JSON raises ``json.JSONDecodeError``."""
    path = Path(run_dir) / LOG_FILE
    if missing_ok and not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class NonFiniteLoss(SpapError, RuntimeError):
    """A loss became NaN/Inf; the message names the step and the loss."""


def check_run_dir(root: str | Path) -> Path:
    """``root`` as a Path; a one-line error if it is a broken link, or it or the nearest existing folder above
    it is a file."""
    root = Path(root)
    if os.path.islink(root) and not root.exists():
        raise ConfigError(
            f"run folder {root} is a symbolic link to nothing ({os.readlink(root)!r}, missing or a loop): "
            "delete the link or choose another run folder"
        )
    for parent in (root, *root.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"run folder {root}: {parent} is a file, not a folder: choose another run folder"
                )
            break
    return root


@contextlib.contextmanager
def writing(path: Path, what: str) -> Iterator[None]:
    """An OS error while writing ``path`` (full disk, read-only folder) becomes one line naming the fix;
    the atomic writers have removed their temporary file, so the earlier file (if any) is intact."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise DataError(
            f"cannot write {what} {path} ({reason}): free disk space or make the folder writable, then run "
            "the same command again (an interrupted run resumes from its last checkpoint)"
        ) from exc


class RunDir:
    """Paths and writers of one run folder (only rank 0 writes)."""

    def __init__(self, root: str | Path, write: bool = True):
        self.root = check_run_dir(root)
        self.write = write
        if write:
            try:
                (self.root / "samples").mkdir(parents=True, exist_ok=True)
                (self.root / "checkpoints").mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DataError(
                    f"cannot create the run folder {self.root} ({exc.strerror}): choose a writable --run-dir"
                ) from exc
            for folder in (self.root, self.root / "checkpoints", self.root / "samples"):
                for tmp in stale_temporaries(folder):
                    tmp.unlink(missing_ok=True)  # left by a write a crash interrupted; never a result

    @property
    def checkpoint(self) -> Path:
        return self.root / CHECKPOINT

    @property
    def log_path(self) -> Path:
        return self.root / LOG_FILE

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        if self.write:
            with writing(self.root / name, "the run file"):
                write_json(self.root / name, data)

    def log(self, record: dict[str, Any]) -> None:
        if self.write:
            with writing(self.log_path, "the training log"), open(self.log_path, "a") as f:
                f.write(json.dumps(record) + "\n")

    def truncate_log(self, step: int) -> None:
        """Keep only log lines with ``step <= step`` (resume after an interruption).

        A last line cut short by a crash (not valid JSON) is dropped, with a notice; a broken line before the
        last is an error: the log was edited or damaged otherwise.
        """
        if not self.write or not self.log_path.exists():
            return
        lines = [ln for ln in self.log_path.read_text().splitlines() if ln.strip()]
        records = []
        for i, ln in enumerate(lines):
            try:
                records.append((ln, json.loads(ln)))
            except ValueError as exc:
                if i < len(lines) - 1:
                    raise DataError(
                        f"{self.log_path} line {i + 1} is not JSON: the log is damaged; delete the run folder "
                        "to train from scratch"
                    ) from exc
                print(
                    f"notice: dropped the cut last line of {self.log_path} (an interrupted write)",
                    file=sys.stderr,
                )
        kept = [ln for ln, rec in records if rec.get("step", 0) <= step]
        with writing(self.log_path, "the training log"):
            atomic_write_text(self.log_path, "".join(ln + "\n" for ln in kept))

    def save_grid(self, images: torch.Tensor, name: str, nrow: int) -> None:
        """Save images in [-1, 1] as a PNG grid under samples/."""
        if not self.write:
            return
        from torchvision.utils import save_image

        grid = images.detach().float().cpu() * 0.5 + 0.5
        atomic_write(
            self.root / "samples" / name,
            lambda tmp: save_image(grid, tmp, nrow=nrow, padding=2, format="png"),
        )


def check_finite(step: int, losses: dict[str, float], checkpoint: Path) -> None:
    for name, value in losses.items():
        if not math.isfinite(value):
            if checkpoint.is_file():
                where = (
                    f"the last good checkpoint is {checkpoint} (lower the learning rate or use precision=fp32, "
                    "then resume)"
                )
            else:
                where = (
                    "no checkpoint was written yet (lower the learning rate or use precision=fp32, then run "
                    "again)"
                )
            raise NonFiniteLoss(f"loss {name} = {value} at step {step}: training stopped; {where}")


def _git(*args: str) -> str | None:
    """Output of ``git args`` in the library's checkout, or None outside one (or without git)."""
    try:
        out = subprocess.run(
            ["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_commit() -> str | None:
    """The commit of the source tree the library runs from, or None outside a git checkout."""
    out = _git("rev-parse", "HEAD")
    return out.strip() or None if out is not None else None


def git_dirty() -> bool | None:
    """Whether tracked files differ from that commit (None outside a git checkout)."""
    out = _git("status", "--porcelain", "--untracked-files=no")
    return bool(out.strip()) if out is not None else None


def environment(device: torch.device) -> dict[str, Any]:
    info: dict[str, Any] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "git_commit": git_commit(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


# What every checkpoint holds besides the recipe's networks and optimisers (see save_checkpoint).
CHECKPOINT_KEYS: dict[str, type | tuple[type, ...]] = {
    "step": int,
    "elapsed": (int, float),
    "rng": list,
    "config": str,
}


def bad_checkpoint(path: Path, why: str) -> DataError:
    """The one error of a checkpoint that cannot be used: names the file and what to do."""
    return DataError(
        f"cannot read checkpoint {path} ({why}): delete it to restart the run from scratch (there is no earlier "
        "checkpoint), or restore it"
    )


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Load a checkpoint written by :func:`spap_lib.io.atomic_save` (``weights_only=True``), checked for the
    entries every checkpoint holds."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt or foreign file
        raise bad_checkpoint(path, f"{type(exc).__name__}: corrupt or not a checkpoint") from None
    if not isinstance(ckpt, dict):
        raise bad_checkpoint(path, f"it holds a {type(ckpt).__name__}, not a checkpoint")
    for key, typ in CHECKPOINT_KEYS.items():
        if not isinstance(ckpt.get(key), typ) or isinstance(ckpt.get(key), bool):
            raise bad_checkpoint(path, f"it lacks a valid {key!r} entry: damaged or edited")
    if not ckpt["rng"] or ckpt["step"] < 0:
        raise bad_checkpoint(path, "it has no RNG state or a negative step: damaged or edited")
    try:
        ckpt_config = json.loads(ckpt["config"])
    except ValueError:
        ckpt_config = None
    if not isinstance(ckpt_config, dict):
        raise bad_checkpoint(path, "it has no valid config entry: damaged or edited")
    return ckpt


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


def check_run_files(root: Path) -> None:
    """The files a run folder holds are of the kind a run writes (a log that is a folder, a config that is a
    link to nowhere: one line naming it), checked before anything is written."""
    for name in ("config.json", LOG_FILE, "summary.json"):
        p = root / name
        if os.path.lexists(p) and (p.is_dir() or not p.exists()):
            what = "a folder" if p.is_dir() else "a broken link"
            raise DataError(
                f"{p} is {what}, not the file a run writes: move it away, or delete the run folder to train "
                "from scratch"
            )


def saved_config(root: Path) -> dict[str, Any] | None:
    """config.json of a run folder, checked (a dict), or None if there is none."""
    path = root / "config.json"
    if not path.exists():
        return None
    return read_json_checked(
        path, dict, "restore it, or delete the run folder (or pass another one) to train from scratch"
    )


def open_session(config: Config, run_dir: str | Path, device: torch.device, rank: int, world: int) -> Session:
    root = check_run_dir(run_dir)
    if root.exists():
        check_run_files(root)
    run = RunDir(root, write=rank == 0)
    checkpoint = None
    saved = saved_config(run.root)
    if run.checkpoint.exists():
        checkpoint = load_checkpoint(run.checkpoint)
        if saved is None:  # the checkpoint carries its own recipe
            saved = json.loads(checkpoint["config"])
        check_resume_compatible(saved, config)
        # the weights must be this recipe's too (a checkpoint copied from another run)
        check_resume_compatible(json.loads(checkpoint["config"]), config, source=str(run.checkpoint))
    elif saved is not None and (run.root / "summary.json").exists():
        # a finished run whose checkpoint is gone: starting afresh would overwrite its results
        check_resume_compatible(saved, config, finished=True, source=str(run.root))
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


def restore_rng_states(session: Session) -> None:
    """Global RNG states from the checkpoint (after models and optimisers are built)."""
    if session.checkpoint is not None:
        set_rng_state(session.checkpoint["rng"][min(session.rank, len(session.checkpoint["rng"]) - 1)])


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
    with writing(session.run.checkpoint, "the checkpoint"):
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


LOCK = ".lock"


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, ``/proc/<pid>/stat``), or None where unknown: a pid
    with another start time is another process that reuses the number."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2 :].split()[19]
    except (OSError, ValueError, IndexError):
        return None


def lock_text(pid: int) -> str:
    """What ``.lock`` holds for process ``pid``: ``<pid> <start time>`` (the start time where known)."""
    start = _start_time(pid)
    return f"{pid} {start}" if start else str(pid)


class RunLock:
    """One process per run folder: ``.lock`` holds the owner's pid and start time (:func:`lock_text`); a lock
    whose process is gone, or whose pid now belongs to a process started later, is taken over (a crash leaves
    one behind). Two trainers on one folder would interleave their logs and checkpoints.
    """

    def __init__(self, root: Path, write: bool = True):
        self.path, self.write, self.held = check_run_dir(root) / LOCK, write, False

    def __enter__(self) -> RunLock:
        if not self.write:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(
                f"cannot create the run folder {self.path.parent} ({exc.strerror}): choose a writable --run-dir"
            ) from None
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner, started = self._owner()
                if owner is not None and owner != os.getpid() and _alive(owner):
                    now = _start_time(owner)
                    if started is None or now is None:
                        raise ConfigError(
                            f"run folder {self.path.parent} has a lock naming process {owner}, which is running, "
                            f"but the lock does not say when its owner started: if no trainer uses this folder "
                            f"delete {self.path}, else wait for it to finish or use another run folder"
                        ) from None
                    if started == now:
                        raise ConfigError(
                            f"run folder {self.path.parent} is in use by process {owner}: wait for it to finish "
                            "or use another run folder"
                        ) from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone (or its pid reused)
                continue
            except OSError as exc:
                raise DataError(
                    f"cannot write in the run folder {self.path.parent} ({exc.strerror}): make it writable or "
                    "choose another --run-dir"
                ) from None
            with os.fdopen(fd, "w") as f:
                f.write(lock_text(os.getpid()))
            self.held = True
            return self
        raise ConfigError(f"could not take the lock {self.path}: delete it if no trainer runs there")

    def _owner(self) -> tuple[int | None, str | None]:
        """The pid and start time the lock names ((None, None) if unreadable; no start time: an old lock)."""
        try:
            parts = self.path.read_text().split()
            return int(parts[0]), (parts[1] if len(parts) > 1 else None)
        except (OSError, ValueError, IndexError):
            return None, None

    def __exit__(self, *exc: object) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
