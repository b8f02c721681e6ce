"""kill -9 at a random moment after the first checkpoint, then the same command again: the finished run must
equal an uninterrupted run of the same command bit for bit (every network's weights in checkpoints/last.pt,
every logged loss). Real interpreters throughout (``python -m spap_lib``): the one killed, the one resuming,
and the reference, which runs beside the killed one."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
import torch
from faultkit import Ctx, Result, Row, Step, check_result, exec_spap, kill_when, run_log

GAN = ["train", "gan", "--preset", "smoke", "--set", "steps=40", "--set", "checkpoint_every=5"]
CYCLEGAN = [
    "train",
    "cyclegan",
    "--preset",
    "smoke",
    "--variant",
    "spap_c2f",  # the pyramid switches on after 2 of the 10 epochs: a resume crosses the switch or not
    "--set",
    "n_epochs=5",
    "--set",
    "n_epochs_decay=5",
    "--set",
    "checkpoint_every=2",
]


def _kill_after_first_checkpoint(ctx: Ctx, argv: list[str], run: Path, delay: float, seed: int) -> bool:
    """Start ``argv``, SIGKILL it ``delay`` s after its first checkpoint; False if it finished first."""
    proc = ctx.popen(argv)
    ckpt = run / "checkpoints" / "last.pt"
    first: list[float] = []

    def due() -> bool:
        if not first and ckpt.exists():
            first.append(time.monotonic())
        return bool(first) and time.monotonic() - first[0] >= delay

    try:
        kill_when(proc, due, f"the kill, {delay:.3f} s after the first checkpoint (seed {seed})")
    except AssertionError:
        if proc.returncode == 0:
            return False
        raise
    return True


def kill_resume_compare(argv: list[str], nets: tuple[str, ...], steps: int):
    def run(ctx: Ctx) -> list[Result]:
        cmd = lambda run_dir: [*argv, "--set", "data_root={data}", "--run-dir", f"{{root}}/{run_dir}"]  # noqa: E731
        reference = ctx.popen(cmd("reference"))
        rng = random.Random()
        seed = rng.randrange(2**32)
        rng.seed(seed)
        results = []
        for attempt in range(4):  # a kill that comes after the end is no interruption: again, sooner
            run_dir = f"killed{attempt}"
            delay = rng.uniform(0, 0.8 / 2**attempt)
            if _kill_after_first_checkpoint(ctx, cmd(run_dir), ctx.root / run_dir, delay, seed):
                break
        else:
            raise AssertionError(f"every run ended before its kill (seed {seed})")
        ckpt = ctx.root / run_dir / "checkpoints" / "last.pt"
        assert not (ctx.root / run_dir / "summary.json").exists(), "the killed run had finished"
        killed_at = torch.load(ckpt, weights_only=True)["step"] if ckpt.exists() else None
        res = exec_spap([ctx.fmt(a) for a in cmd(run_dir)], ctx.cwd, ctx.env)
        results.append(res)
        check_result(ctx, Step(cmd(run_dir), 0), res)
        _, err = reference.communicate(timeout=600)
        assert reference.returncode == 0, err.decode()[-3000:]

        a = torch.load(ctx.root / run_dir / "checkpoints" / "last.pt", weights_only=True)
        b = torch.load(ctx.root / "reference" / "checkpoints" / "last.pt", weights_only=True)
        where = f"(killed {delay:.3f} s after the first checkpoint, at/after step {killed_at}; seed {seed})"
        assert a["step"] == b["step"] == steps
        for net in nets:
            assert a[net].keys() == b[net].keys(), f"{net}: other tensors {where}"
            for k in a[net]:
                ta, tb = a[net][k], b[net][k]
                assert ta.dtype == tb.dtype and ta.shape == tb.shape and torch.equal(ta, tb), (
                    f"{net}.{k} {where}"
                )
        la, lb = (
            [{k: v for k, v in r.items() if k != "step_s"} for r in run_log(ctx.root / d)]
            for d in (run_dir, "reference")
        )
        assert [r["step"] for r in la] == list(range(1, steps + 1)), f"log steps {where}"
        assert la == lb, f"logged losses differ {where}"
        summary = json.loads((ctx.root / run_dir / "summary.json").read_text())
        assert summary["steps"] == steps and summary["resumed_at_step"] == killed_at, summary
        return results

    return run


ROWS = [
    Row("gan-kill9-resume", custom=kill_resume_compare(GAN, ("G", "D"), 40), slow=True, weight=20),
    Row(
        "cyclegan-kill9-resume",
        custom=kill_resume_compare(CYCLEGAN, ("G_AB", "G_BA", "D_A", "D_B"), 20),
        slow=True,
        weight=20,
    ),
]


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_kill9_resume(row: Row, faults) -> None:
    faults.check(row)
