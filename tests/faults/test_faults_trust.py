"""Round two (issue 25): names that would escape their folder, deletes before validation, silent exits and
files the program wrote itself read back on trust. One row per class and per place it applies: every CLI
option or notebook parameter that becomes a path component, every reader of a file the program writes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import numpy as np
import pytest
import torch
from archive_bytes import tar_gz as tar
from faultkit import Ctx, Result, Row, Step, copy_template, tree
from PIL import Image
from test_faults_cli import FD, TWO, folders, needs_backbone
from test_faults_notebook import PM
from test_faults_rundir import RESUME, completed, partial

RUN_FILES = ("run/checkpoints/last.pt", "run/log.jsonl", "run/config.json")
FINISHED_FILES = (*RUN_FILES, "run/summary.json")
SEG = ["metrics", "segmenter-train", "--root", "{root}/data", "--train-folder", "{root}/pairs"]
DL = ["data", "download", "facades", "--root", "{root}", "--base-url", "{url}"]
ARCHIVE = "pix2pix/datasets/facades.tar.gz"
PLAIN = r"is not a plain name \(no '/', '\\', '\.\.' or absolute path\)"


# --- set-ups -----------------------------------------------------------------------------------------------


def finished(ctx: Ctx) -> None:
    copy_template(ctx, "gan_finished")


def then(*fns):
    def setup(ctx: Ctx) -> None:
        for f in fns:
            f(ctx)

    return setup


def pairs(kind: str = "palette", n: int = 4, size: int = 16):
    """``root/pairs``: aligned A|B images; B a label map of Cityscapes-palette colours (``palette``), of
    random colours (``random``), or one file truncated (``truncated``)."""

    def setup(ctx: Ctx) -> None:
        from spap_lib.data.palettes import CITYSCAPES_PALETTE

        folder = ctx.root / "pairs"
        folder.mkdir()
        rng = np.random.default_rng(0)
        pal = np.asarray(CITYSCAPES_PALETTE, dtype=np.uint8)
        for i in range(n):
            photo = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            if kind == "random":
                label = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            else:
                ids = np.repeat(rng.integers(0, len(pal), (size // 4, size // 4)), 4, 0).repeat(4, 1)
                label = pal[ids]
            Image.fromarray(np.concatenate([photo, label], 1)).save(folder / f"{i}.png")
        if kind == "truncated":
            p = folder / "0.png"
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])

    return setup


def cached_segmenter(ctx: Ctx) -> None:
    """A segmenter trained (2 steps) and cached under root/data/segmenters/tiny, through the library."""
    pairs()(ctx)
    from spap_lib.metrics.segmenter import load_segmenter, preset

    load_segmenter(ctx.root / "data", "tiny", preset("synth", steps=2), ctx.root / "pairs", verbose=False)


def damage(rel: str, how: str):
    """Set-up step: ``how`` = "truncate" (half the bytes), "list" (JSON []), "null", "folder" (a folder in
    its place), or any other text written as the file."""

    def f(ctx: Ctx) -> None:
        p = ctx.root / rel
        if how == "truncate":
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
        elif how == "folder":
            p.unlink()
            p.mkdir()
            (p / "x").write_text("x\n")
        else:
            p.write_text({"list": "[]\n", "null": "null\n"}.get(how, how))

    return f


def edit_checkpoint(edit):
    def f(ctx: Ctx) -> None:
        p = ctx.root / "run" / "checkpoints" / "last.pt"
        ckpt = torch.load(p, map_location="cpu", weights_only=True)
        torch.save(edit(ckpt), p)

    return f


def _drop_rng(ckpt: dict) -> dict:
    del ckpt["rng"]
    return ckpt


def as_variant(variant: str):
    """The run's config.json and the checkpoint's recipe say ``variant``; the weights stay vanilla's."""

    def f(ctx: Ctx) -> None:
        cfg_path = ctx.root / "run" / "config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg["variant"] = variant
        cfg_path.write_text(json.dumps(cfg, indent=2))
        p = ctx.root / "run" / "checkpoints" / "last.pt"
        ckpt = torch.load(p, map_location="cpu", weights_only=True)
        inner = json.loads(ckpt["config"])
        inner["variant"] = variant
        ckpt["config"] = json.dumps(inner)
        torch.save(ckpt, p)

    return f


def symlink(rel: str, target: str):
    def f(ctx: Ctx) -> None:
        os.symlink(ctx.fmt(target), ctx.root / rel)

    return f


def remove(rel: str):
    def f(ctx: Ctx) -> None:
        p = ctx.root / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()

    return f


def write(rel: str, text: str):
    def f(ctx: Ctx) -> None:
        p = ctx.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(ctx.fmt(text))

    return f


def project_folder(ctx: Ctx) -> None:
    """A folder that is not a run folder: a project with only hidden files."""
    (ctx.root / "run" / ".git").mkdir(parents=True)
    (ctx.root / "run" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (ctx.root / "run" / ".env").write_text("SECRET=1\n")


def faces_folder(split: dict | str):
    """``root/celeba``: 4 face images and the given split.json."""

    def setup(ctx: Ctx) -> None:
        from test_faults_cli import png

        for i in range(4):
            png(ctx.root / "celeba" / "images" / f"{i}.png", 16, seed=i)
        text = split if isinstance(split, str) else json.dumps(split)
        (ctx.root / "celeba" / "split.json").write_text(text)

    return setup


def two_folders(ctx: Ctx) -> None:
    """``root/a`` and ``root/b`` with two images each (no backbone cache)."""
    from test_faults_cli import png

    for name in ("a", "b"):
        for i, fname in enumerate(TWO):
            png(ctx.root / name / fname, 16, seed=i)


def serve(body: bytes):
    return lambda ctx: ctx.serve(ARCHIVE, body)


# --- checks ------------------------------------------------------------------------------------------------


def nothing_escaped(ctx: Ctx, results: list[Result]) -> None:
    assert not list(ctx.d.rglob("escaped*")), list(ctx.d.rglob("escaped*"))
    assert not (ctx.root / "data" / "segmenters").exists() or not any(
        (ctx.root / "data" / "segmenters").iterdir()
    )


def no_segmenter(ctx: Ctx, results: list[Result]) -> None:
    seg = ctx.root / "data" / "segmenters"
    assert not seg.exists() or not any(seg.rglob("*.pt")), list(seg.rglob("*"))


def finished_unchanged(ctx: Ctx, results: list[Result]) -> None:
    before = tree(ctx.templates["gan_finished"])
    after = tree(ctx.root / "run")
    assert after == before, "the finished run changed"


def project_kept(ctx: Ctx, results: list[Result]) -> None:
    assert (ctx.root / "run" / ".env").read_text() == "SECRET=1\n"
    assert (ctx.root / "run" / ".git" / "HEAD").is_file()


def link_target_kept(ctx: Ctx, results: list[Result]) -> None:
    assert tree(ctx.root / "real") == tree(ctx.templates["gan_finished"]), "the linked run changed"
    assert (ctx.root / "run").is_symlink()


def nothing_installed(ctx: Ctx, results: list[Result]) -> None:
    assert not (ctx.root / "facades").exists()


def one_dataset(ctx: Ctx, results: list[Result]) -> None:
    names = sorted(os.listdir(ctx.root))
    assert names == [".downloads", "facades"], names
    assert (ctx.root / "facades" / "train" / "1.png").read_bytes() == b"new-png-bytes"


GOOD = tar({"facades/train/1.png": b"png-bytes", "facades/test/2.png": b"more"})
OTHER = tar({"facades/train/1.png": b"new-png-bytes"})


def segmenter_name(id: str, name: str, err: str = PLAIN) -> Row:
    return Row(
        id,
        [Step([*SEG, "--steps", "2", "--name", name], 2, [err, r"pass a single name|pass a plain name"])],
        setup=pairs(),
        check=nothing_escaped,
    )


ROWS = [
    # --- 1. a user-supplied name is one path component, checked before anything is created ---
    segmenter_name("segmenter-name-dotdot", "../../../escaped"),
    segmenter_name("segmenter-name-absolute", "{d}/escaped-abs"),
    segmenter_name("segmenter-name-dot", ".."),
    segmenter_name("segmenter-name-backslash", "a\\b"),
    segmenter_name("segmenter-name-empty", "", r"segmenter name '' is empty"),
    Row(
        "segmenter-preset-path",
        [Step(["metrics", "segmenter-train", "--root", "{root}/data", "--preset", "../x"], 2, [r"'\.\./x'"])],
        check=nothing_escaped,
    ),
    Row(
        "synth-name-path",
        [
            Step(
                ["data", "synth", "../faces", "--root", "{root}/data"], 2, [r"'\.\./faces'"], absent=("data",)
            )
        ],
    ),
    Row(
        "download-name-path",
        [Step(["data", "download", "../facades", "--root", "{root}/data"], 2, [r"'\.\./facades'"])],
        check=lambda ctx, r: nothing_installed(ctx, r),
    ),
    Row(
        "train-preset-path",
        [Step(["train", "gan", "--preset", "../smoke", "--run-dir", "{root}/run"], 2, [r"'\.\./smoke'"])],
    ),
    Row(
        "train-dataset-path",
        [
            Step(
                [
                    "train",
                    "cyclegan",
                    "--preset",
                    "smoke",
                    "--dataset",
                    "../streets",
                    "--run-dir",
                    "{root}/run",
                ],
                2,
                [r"'\.\./streets'"],
                absent=("run",),
            )
        ],
    ),
    Row(
        "study-verify-run-path",
        [Step(["study", "verify", "--run", "../../etc/passwd"], 2, [r"not a study run"])],
    ),
    Row("book-preset-path", [Step(["book", "--preset", "../smoke", "--list"], 2, [r"'\.\./smoke'"])]),
    # --- 2. nothing is deleted before every input is checked, nor what the program did not write ---
    Row(
        "fresh-true-unknown-preset",
        [
            Step(
                PM + ["-p", "fresh", "True", "-p", "preset", "nonsense"],
                1,
                [r"^ConfigError: unknown preset 'nonsense'"],
                tool="papermill",
                keep=FINISHED_FILES,
            )
        ],
        setup=finished,
        check=finished_unchanged,
        weight=8,
    ),
    Row(
        "fresh-true-override-typo",
        [
            Step(
                PM + ["-p", "fresh", "True", "-y", "overrides: [stpes=3]"],
                1,
                [r"^ConfigError: unknown gan config key 'stpes'"],
                tool="papermill",
                keep=FINISHED_FILES,
            )
        ],
        setup=finished,
        check=finished_unchanged,
        weight=8,
    ),
    Row(
        "fresh-true-project-folder",
        [
            Step(
                PM + ["-p", "fresh", "True"],
                1,
                [r"^ConfigError: run_dir .*/run holds files a run does not write \(\.env, \.git\)"],
                tool="papermill",
                keep=("run/.env", "run/.git/HEAD"),
            )
        ],
        setup=project_folder,
        check=project_kept,
        allow=(".env", ".git"),
        weight=8,
    ),
    Row(
        "fresh-true-run-dir-symlink",
        [
            Step(
                PM + ["-p", "fresh", "True"],
                1,
                [r"^ConfigError: run_dir .*/run is a symbolic link", r"choose another run_dir"],
                tool="papermill",
            )
        ],
        setup=lambda ctx: (copy_template(ctx, "gan_finished", "real"), symlink("run", "{root}/real")(ctx)),
        check=link_target_kept,
        weight=8,
    ),
    Row(
        "finished-other-variant-without-checkpoint",
        [
            Step(
                RESUME + ["--variant", "aspp"],
                2,
                [
                    r"run/?\S* holds a finished run with variant='vanilla', not 'aspp' \(its checkpoint is gone\)",
                    r"to keep it use a new --run-dir",
                ],
                keep=("run/summary.json", "run/log.jsonl", "run/config.json"),
            ),
            # the advice works: a new run folder
            Step(RESUME[:-1] + ["{root}/run2", "--variant", "aspp"], 0),
        ],
        setup=then(finished, remove("run/checkpoints/last.pt")),
    ),
    Row(
        "download-empty-archive",
        [Step(DL, 2, [r"holds no image \(nothing\)", r"check --base-url"])],
        setup=serve(tar({})),
        check=nothing_installed,
    ),
    Row(
        "download-readme-only",
        [Step(DL, 2, [r"holds no image \(README\)", r"check --base-url"])],
        setup=serve(tar({"README": b"see the website\n"})),
        check=nothing_installed,
    ),
    Row(
        "download-force-leaves-nothing",
        [
            Step(DL, 0),
            Step(
                DL + ["--force", "--sha256", hashlib.sha256(OTHER).hexdigest()],
                0,
                before=lambda ctx: ctx.serve(ARCHIVE, OTHER),
            ),
        ],
        setup=serve(GOOD),
        check=one_dataset,
    ),
    # --- 3. no silent exit 0 on wrong input ---
    Row(
        "segmenter-steps-zero",
        [Step([*SEG, "--name", "t", "--steps", "0"], 2, [r"segmenter steps must be an integer >= 1, got 0"])],
        setup=pairs(),
        check=no_segmenter,
    ),
    Row(
        "segmenter-steps-negative",
        [
            Step(
                [*SEG, "--name", "t", "--steps", "-5"],
                2,
                [r"segmenter steps must be an integer >= 1, got -5"],
            )
        ],
        setup=pairs(),
        check=no_segmenter,
    ),
    Row(
        "segmenter-labels-off-palette",
        [
            Step(
                [*SEG, "--name", "t", "--steps", "2"],
                2,
                [
                    r"pairs/0.png: \d+% of its label half .* colours outside the label palette",
                    r"pass a folder",
                ],
            )
        ],
        setup=pairs("random"),
        check=no_segmenter,
    ),
    Row(
        "segmenter-device-tpu",
        [
            Step(
                [*SEG, "--name", "t", "--device", "tpu"],
                2,
                [r"unknown segmenter device 'tpu': use cpu or cuda"],
            )
        ],
        setup=pairs(),
        check=no_segmenter,
    ),
    Row(
        "variant-option-and-set-disagree",
        [
            Step(
                RESUME + ["--variant", "aspp", "--set", "variant=spap_c2f"],
                2,
                [r"--variant aspp and --set variant=spap_c2f disagree", r"pass the variant once"],
                absent=("run",),
            )
        ],
    ),
    Row(
        "lock-of-another-program",
        [
            Step(
                RESUME,
                2,
                [
                    r"run folder .*/run has a lock naming process 1, which is running, but the lock does not say",
                    r"if no trainer uses this folder delete .*/run/\.lock",
                ],
                keep=(*RUN_FILES, "run/.lock"),
            ),
            Step(RESUME, 0, before=remove("run/.lock")),  # the advice works
        ],
        setup=then(partial, write("run/.lock", "1")),
        check=completed(3),
    ),
    Row(
        "lock-pid-reused",  # the pid runs, but it started after the lock was written: another process
        [Step(RESUME, 0)],
        setup=then(partial, write("run/.lock", "1 999999999999")),
        check=completed(3),
    ),
    Row(
        "faces-split-train-is-string",
        [
            Step(
                RESUME + ["--set", "data_source=folder", "--set", "data_root={root}/celeba"],
                2,
                [r"split.json: 'train' is a str, not a list of image file names", r"delete it to remake it"],
                absent=("run",),
            )
        ],
        setup=faces_folder({"train": "0.png", "test": ["1.png"]}),
    ),
    # --- 4. files the program wrote, read back checked ---
    Row(
        "checkpoint-empty-dict",
        [
            Step(
                RESUME,
                2,
                [
                    r"cannot read checkpoint .*last.pt \(it lacks a valid 'step' entry",
                    r"delete it to restart the run",
                ],
                keep=RUN_FILES,
            ),
            Step(RESUME, 0, before=remove("run/checkpoints/last.pt")),  # the advice works
        ],
        setup=then(partial, edit_checkpoint(lambda c: {})),
        check=completed(None),
    ),
    Row(
        "checkpoint-without-rng",
        [
            Step(
                RESUME,
                2,
                [r"cannot read checkpoint .*last.pt \(it lacks a valid 'rng' entry"],
                keep=RUN_FILES,
            )
        ],
        setup=then(partial, edit_checkpoint(_drop_rng)),
    ),
    Row(
        "checkpoint-of-another-variant",
        [
            Step(
                RESUME + ["--variant", "aspp"],
                2,
                [
                    r"cannot read checkpoint .*last.pt \(it does not fit this run",
                    r"delete it to restart the run",
                ],
                keep=("run/checkpoints/last.pt", "run/log.jsonl"),
            )
        ],
        setup=then(partial, as_variant("aspp")),
    ),
    Row(
        "config-json-is-list",
        [
            Step(
                RESUME,
                2,
                [
                    r"config.json holds a JSON array, not a JSON object",
                    r"restore it, or delete the run folder",
                ],
                keep=RUN_FILES,
            )
        ],
        setup=then(partial, damage("run/config.json", "list")),
    ),
    Row(
        "config-json-null-finished",
        [Step(RESUME, 2, [r"config.json holds a JSON null, not a JSON object"])],
        setup=then(finished, damage("run/config.json", "null")),
    ),
    Row(
        "log-jsonl-is-folder",
        [Step(RESUME, 2, [r"log.jsonl is a folder, not the file a run writes", r"move it away"])],
        setup=then(partial, damage("run/log.jsonl", "folder")),
    ),
    Row(
        "run-dir-dangling-symlink",
        [Step(RESUME, 2, [r"run folder .*/run is a symbolic link to nothing", r"delete the link"])],
        setup=symlink("run", "{root}/nowhere"),
        check=lambda ctx, r: None if not (ctx.root / "nowhere").exists() else pytest.fail("created"),
    ),
    Row(
        "run-dir-symlink-loop",
        [Step(RESUME, 2, [r"run folder .*/run is a symbolic link to nothing .*a loop"])],
        setup=symlink("run", "{root}/run"),
    ),
    Row(
        "segmenter-cache-weights-truncated",
        [
            Step(
                [*SEG, "--name", "tiny", "--steps", "2"],
                2,
                [r"cannot load the cached segmenter .*tiny/weights.pt", r"delete .*tiny and train it again"],
                keep=("data/segmenters/tiny/config.json",),
            ),
            # the advice works
            Step([*SEG, "--name", "tiny", "--steps", "2"], 0, before=remove("data/segmenters/tiny")),
        ],
        setup=then(cached_segmenter, damage("data/segmenters/tiny/weights.pt", "truncate")),
    ),
    Row(
        "segmenter-cache-json-truncated",
        [
            Step(
                [*SEG, "--name", "tiny", "--steps", "2"],
                2,
                [r"tiny/config.json is not valid JSON", r"delete .*tiny and train it again"],
            )
        ],
        setup=then(cached_segmenter, damage("data/segmenters/tiny/config.json", "truncate")),
    ),
    Row(
        "segmenter-train-png-truncated",
        [Step([*SEG, "--name", "t", "--steps", "2"], 2, [r"cannot read image .*pairs/0.png"])],
        setup=pairs("truncated"),
        check=no_segmenter,
    ),
    Row(
        "segmenter-root-is-file",
        [
            Step(
                [*SEG, "--name", "t", "--steps", "2"],
                2,
                [r"data root .*/data is not a folder"],
                keep=("data",),
            )
        ],
        setup=then(pairs(), write("data", "notes\n")),
    ),
    Row(
        "fd-root-is-file",
        [Step(FD, 2, [r"data root .*/cache is not a folder"], keep=("cache",))],
        setup=then(two_folders, write("cache", "notes\n")),
    ),
    Row(
        "backbone-train-root-is-file",
        [
            Step(
                ["metrics", "backbone-train", "--root", "{root}/data"],
                2,
                [r"data root .*/data is not a folder"],
                keep=("data",),
            )
        ],
        setup=write("data", "notes\n"),
    ),
    Row(
        "synth-manifest-corrupt",
        [
            Step(
                RESUME[:-2] + ["--set", "data_root={root}/data", "--run-dir", "{root}/run"],
                2,
                [r"manifest.json is not valid JSON", r"delete .*faces-16-n32-s0 and re-run"],
                absent=("run",),
            )
        ],
        setup=write("data/synth/faces-16-n32-s0/manifest.json", '{"name": "fa'),
    ),
    Row(
        "backbone-cache-json-corrupt",
        [
            Step(
                FD,
                2,
                [r"synth-v1/config.json is not valid JSON", r"metrics backbone-train --root .*/cache"],
            )
        ],
        setup=needs_backbone(
            then(folders(TWO, TWO), damage("cache/backbones/synth-v1/config.json", "truncate"))
        ),
    ),
]


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_trust_fault(row: Row, faults) -> None:
    faults.check(row)
