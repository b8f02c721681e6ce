"""Run-folder faults through ``python -m spap_lib train``: a second trainer, a crash's leftovers, damaged files,
a changed recipe, a full disk. Each row starts from a copy of a smoke GAN run stopped at step 3 of 6
(``gan_partial``) or a finished one (``gan_finished``); the command is the one that made it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from faultkit import Ctx, Result, Row, Step, copy_template, run_log, tree

RESUME = ["train", "gan", "--preset", "smoke", "--set", "data_root={data}", "--run-dir", "{root}/run"]
RUN_FILES = ("run/checkpoints/last.pt", "run/log.jsonl", "run/config.json")


def partial(ctx: Ctx) -> None:
    copy_template(ctx, "gan_partial")


def finished(ctx: Ctx) -> None:
    copy_template(ctx, "gan_finished")


def then(*fns):
    def setup(ctx: Ctx) -> None:
        for f in fns:
            f(ctx)

    return setup


def summary(ctx: Ctx, run: str = "run") -> dict:
    return json.loads((ctx.root / run / "summary.json").read_text())


def completed(resumed_at: int | None, run: str = "run"):
    """Check: the run finished all 6 steps, resumed at ``resumed_at``, with one log line per step."""

    def check(ctx: Ctx, results: list[Result]) -> None:
        s = summary(ctx, run)
        assert s["steps"] == 6 and s["resumed_at_step"] == resumed_at, s
        assert [r["step"] for r in run_log(ctx.root / run)] == [1, 2, 3, 4, 5, 6]
        assert not (ctx.root / run / ".lock").exists()

    return check


# --- the lock ----------------------------------------------------------------------------------------------


def live_lock(ctx: Ctx) -> None:
    partial(ctx)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    ctx.vars["pid"] = sleeper.pid
    ctx.vars["sleeper"] = sleeper
    from spap_lib.training.rundir import lock_text

    (ctx.root / "run" / ".lock").write_text(lock_text(sleeper.pid))


def stop_sleeper(ctx: Ctx) -> None:
    sleeper = ctx.vars.get("sleeper")
    if sleeper is not None and sleeper.poll() is None:
        sleeper.kill()
        sleeper.wait()


def dead_lock(ctx: Ctx) -> None:
    partial(ctx)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (ctx.root / "run" / ".lock").write_text(str(gone.pid))


# --- damage ------------------------------------------------------------------------------------------------


def write(rel: str, data: bytes | str, mode: str = "w"):
    def f(ctx: Ctx) -> None:
        p = ctx.root / rel
        if isinstance(data, bytes):
            with open(p, mode + "b") as fh:
                fh.write(data)
        else:
            with open(p, mode) as fh:
                fh.write(data)

    return f


def truncate_checkpoint(ctx: Ctx) -> None:
    p = ctx.root / "run" / "checkpoints" / "last.pt"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def restore_config(ctx: Ctx) -> None:
    (ctx.root / "run" / "config.json").write_bytes(
        (ctx.templates["gan_partial"] / "config.json").read_bytes()
    )


def remove(rel: str):
    return lambda ctx: (ctx.root / rel).unlink()


def unchanged_finished(ctx: Ctx, results: list[Result]) -> None:
    assert tree(ctx.root / "run") == tree(ctx.templates["gan_finished"]), "a finished run changed"


def summary_back(ctx: Ctx, results: list[Result]) -> None:
    s = summary(ctx)
    assert s["steps"] == 6 and s["resumed_at_step"] == 6, s
    before = tree(ctx.templates["gan_finished"])
    after = tree(ctx.root / "run")
    for k in ("checkpoints/last.pt", "log.jsonl"):
        assert after[k] == before[k], f"{k} changed"


def recipe_check(ctx: Ctx, results: list[Result]) -> None:
    completed(3)(ctx, results)
    assert json.loads((ctx.root / "run2" / "config.json").read_text())["lr_d"] == 1e-3
    assert summary(ctx, "run2")["resumed_at_step"] is None


ROWS = [
    Row(
        "lock-held-by-live-process",
        [
            Step(
                RESUME,
                2,
                [
                    r"run folder .*/run is in use by process {pid}",
                    r"wait for it to finish or use another run folder",
                ],
                keep=(*RUN_FILES, "run/.lock"),
            ),
            # its process is gone: the same command takes the stale lock over
            Step(RESUME, 0, before=stop_sleeper),
        ],
        setup=live_lock,
        cleanup=stop_sleeper,
        check=completed(3),
        real=True,
    ),
    Row("stale-lock-of-dead-process", [Step(RESUME, 0)], setup=dead_lock, check=completed(3)),
    Row(
        "lock-with-garbage",
        [Step(RESUME, 0)],
        setup=then(partial, write("run/.lock", "not a pid")),
        check=completed(3),
    ),
    Row(
        "config-json-corrupt",
        [
            Step(
                RESUME,
                2,
                [r"config.json is not valid JSON", r"restore it, or delete the run folder"],
                keep=RUN_FILES,
            ),
            Step(RESUME, 0, before=restore_config),  # the advice works
        ],
        setup=then(partial, write("run/config.json", "{not json")),
        check=completed(3),
    ),
    Row(
        "log-last-line-cut",
        [Step(RESUME, 0, [r"notice: dropped the cut last line of .*log.jsonl"])],
        setup=then(partial, write("run/log.jsonl", '{"step": 4, "loss_D": 1.3', "a")),
        check=completed(3),
    ),
    Row(
        "log-damaged-before-last-line",
        [
            Step(
                RESUME,
                2,
                [r"log.jsonl line 1 is not JSON", r"delete the run folder to train from scratch"],
                keep=RUN_FILES,
            )
        ],
        setup=then(
            partial,
            lambda ctx: (ctx.root / "run/log.jsonl").write_text(
                "garbage\n" + (ctx.root / "run/log.jsonl").read_text()
            ),
        ),
    ),
    Row(
        "checkpoint-corrupt",
        [
            Step(
                RESUME,
                2,
                [r"cannot read checkpoint .*last.pt", r"delete it to restart the run"],
                keep=RUN_FILES,
            ),
            Step(RESUME, 0, before=remove("run/checkpoints/last.pt")),  # the advice works: from scratch
        ],
        setup=then(partial, write("run/checkpoints/last.pt", b"not a checkpoint")),
        check=completed(None),
    ),
    Row(
        "checkpoint-truncated",
        [
            Step(
                RESUME,
                2,
                [r"cannot read checkpoint .*last.pt", r"delete it to restart the run"],
                keep=RUN_FILES,
            )
        ],
        setup=then(partial, truncate_checkpoint),
    ),
    Row(
        "leftover-temporaries-cleaned",
        [Step(RESUME, 0)],
        setup=then(
            partial,
            write("run/checkpoints/.last.pt.x7k2q9.tmp", b"half a checkpoint"),
            write("run/.config.json.a1b2c3.tmp", "{"),
        ),
        check=completed(3),
    ),
    Row(
        "recipe-changed",
        [
            Step(
                RESUME + ["--set", "lr_d=1e-3"],
                2,
                [
                    r"run folder holds a run with lr_d=0.0002, not 0.001",
                    r"use a new --run-dir or the saved config",
                ],
                keep=RUN_FILES,
            ),
            Step(RESUME, 0),  # the saved config resumes
            Step(
                RESUME[:-1] + ["{root}/run2", "--set", "lr_d=1e-3"], 0
            ),  # and a new run folder starts afresh
        ],
        setup=partial,
        check=recipe_check,
    ),
    Row(
        "finished-run-again",
        [Step(RESUME + ["--quiet"], 0, out=[r"run folder: .*/run"])],
        setup=finished,
        check=unchanged_finished,
    ),
    Row(
        "finished-run-lost-summary",
        [Step(RESUME, 0)],
        setup=then(finished, remove("run/summary.json")),
        check=summary_back,
    ),
    Row(
        "disk-full-at-checkpoint",
        [
            Step(
                RESUME,
                2,
                [r"cannot write the checkpoint .*last.pt", r"free disk space"],
                fsize=100_000,
                keep=("run/checkpoints/last.pt",),
            ),
            Step(RESUME, 0),  # "run the same command again"
        ],
        setup=partial,
        check=completed(3),
    ),
    Row(
        "disk-full-at-log-rewrite",
        [
            Step(
                RESUME,
                2,
                [r"cannot write the training log .*log.jsonl", r"free disk space"],
                fsize=300,
                keep=RUN_FILES,
            )
        ],
        setup=partial,
    ),
    Row(
        "disk-full-at-config",
        [
            Step(
                RESUME,
                2,
                [r"cannot write the run file .*config.json \(File too large\)", r"free disk space"],
                fsize=500,
                keep=RUN_FILES,
            ),
            Step(RESUME, 0),
        ],
        setup=partial,
        check=completed(3),
    ),
]


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_run_folder_fault(row: Row, faults) -> None:
    faults.check(row)
