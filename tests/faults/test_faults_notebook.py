"""The train notebook under papermill (``python -m papermill``, cwd notebooks/ as the book runs it), with
absolute run_dir/data_root/cache_root in the row's root: ``fresh`` never deletes what is not a run, a
string ``fresh false`` is false, a bad parameter is one ``ConfigError`` line. A failed cell's traceback is
papermill's report; the check is its last line (a SpapError, one line) and the output notebook's error."""

from __future__ import annotations

import json
import shutil

import pytest
from faultkit import Ctx, Result, Row, Step, copy_template, tree

PM = [
    "{repo}/notebooks/train_sndcgan.ipynb",
    "{root}/out.ipynb",
    "--cwd",
    "{repo}/notebooks",
    "-p",
    "preset",
    "smoke",
    "-p",
    "variant",
    "vanilla",
    "-p",
    "data_root",
    "{data}",
    "-p",
    "cache_root",
    "{root}/cache",
    "-p",
    "run_dir",
    "{root}/run",
]
RUN_FILES = ("run/checkpoints/last.pt", "run/log.jsonl", "run/config.json", "run/summary.json")


def finished_with_backbone(ctx: Ctx) -> None:
    """A finished run of the notebook's recipe, and the cached FD-synth backbone its evaluation needs."""
    if "backbone" not in ctx.templates:
        pytest.skip("no cached FD-synth backbone in data/backbones/synth-v1 (metrics backbone-train)")
    copy_template(ctx, "gan_finished")
    shutil.copytree(ctx.templates["backbone"], ctx.root / "cache" / "backbones" / "synth-v1")


def finished(ctx: Ctx) -> None:
    copy_template(ctx, "gan_finished")


def with_thesis(ctx: Ctx) -> None:
    copy_template(ctx, "gan_finished")
    (ctx.root / "run" / "thesis.tex").write_text("\\documentclass{article} % three years of work\n")


def run_is_file(ctx: Ctx) -> None:
    (ctx.root / "run").write_text("my notes\n")


def evaluated_in_place(ctx: Ctx, results: list[Result]) -> None:
    before, after = tree(ctx.templates["gan_finished"]), tree(ctx.root / "run")
    assert {k: v for k, v in after.items() if k != "metrics.json"} == before, "the run folder changed"
    assert json.loads((ctx.root / "run" / "metrics.json").read_text())["metric"] == "FD-synth"


def unchanged(ctx: Ctx, results: list[Result]) -> None:
    assert tree(ctx.root / "run") == tree(ctx.templates["gan_finished"]), "the run folder changed"


ROWS = [
    Row(
        "fresh-false-keeps-run",
        [Step(PM + ["-p", "fresh", "false"], 0, tool="papermill", keep=RUN_FILES)],
        setup=finished_with_backbone,
        check=evaluated_in_place,
        weight=8,
    ),
    Row(
        "fresh-true-foreign-file",
        [
            Step(
                PM + ["-p", "fresh", "true"],
                1,
                [
                    r"^ConfigError: run_dir .*/run holds files a run does not write \(thesis.tex\)",
                    r"choose another run_dir",
                ],
                tool="papermill",
                keep=(*RUN_FILES, "run/thesis.tex"),
            )
        ],
        setup=with_thesis,
        weight=8,
    ),
    Row(
        "seed-not-a-number",
        [
            Step(
                PM + ["-p", "seed", "abc"],
                1,
                [r"^ConfigError: seed expects an integer, got 'abc'"],
                tool="papermill",
                keep=RUN_FILES,
            )
        ],
        setup=finished,
        check=unchanged,
        weight=8,
    ),
    Row(
        "fresh-true-run-dir-is-file",
        [
            Step(
                PM + ["-p", "fresh", "True"],
                1,
                [r"^ConfigError: run_dir .*/run is a file, not a run folder", r"choose another run_dir"],
                tool="papermill",
                keep=("run",),
            )
        ],
        setup=run_is_file,
        weight=8,
    ),
    Row(
        "unknown-parameter",
        [
            Step(
                PM + ["-p", "steps", "abc"],
                1,
                [
                    r"^ConfigError: unknown parameter steps: this notebook's parameters are variant, seed, "
                    r"preset, data_root, run_dir, overrides, cache_root, backbone, fresh$"
                ],
                tool="papermill",
                keep=RUN_FILES,
            )
        ],
        setup=finished,
        check=unchanged,
        weight=8,
    ),
]


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_notebook_fault(row: Row, faults) -> None:
    faults.check(row)
