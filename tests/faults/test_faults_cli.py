"""Typos, bad values and bad paths on the command line: exit 2, one ``error: ...`` line naming the problem and
the fix, and nothing written (no run folder, no dataset, nothing in the working folder)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from faultkit import Ctx, Result, Row, Step, check_result, kill_when
from PIL import Image

RUN = "{root}/run"


def train(*extra: str, kind: str = "gan") -> list[str]:
    return ["train", kind, "--preset", "smoke", "--set", "data_root={data}", "--run-dir", RUN, *extra]


def refused(id: str, argv: list[str], *err: str, real: bool = False, **kw) -> Row:
    """A command refused before it writes anything: no run folder afterwards."""
    return Row(id, [Step(argv, 2, err, absent=("run",), **kw)], real=real)


# --- images for the metrics rows -------------------------------------------------------------------------


def png(path, size=16, seed=0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(arr).save(path)


def folders(a: dict, b: dict):
    """Set-up: ``root/a`` and ``root/b`` with the named images (value: side in pixels, bytes, or
    "truncated"; None: no folder)."""

    def setup(ctx: Ctx) -> None:
        for name, files in (("a", a), ("b", b)):
            if files is None:  # no such folder
                continue
            (ctx.root / name).mkdir()
            for i, (fname, spec) in enumerate(files.items()):
                if isinstance(spec, bytes):
                    (ctx.root / name / fname).write_bytes(spec)
                elif spec == "truncated":
                    png(ctx.root / name / fname, 64, seed=i)
                    raw = (ctx.root / name / fname).read_bytes()
                    (ctx.root / name / fname).write_bytes(raw[: len(raw) // 2])
                else:
                    png(ctx.root / name / fname, spec, seed=i)
        if "backbone" in ctx.templates:
            shutil.copytree(ctx.templates["backbone"], ctx.root / "cache" / "backbones" / "synth-v1")

    return setup


def needs_backbone(setup):
    def wrapped(ctx: Ctx) -> None:
        if "backbone" not in ctx.templates:
            pytest.skip("no cached FD-synth backbone in data/backbones/synth-v1 (metrics backbone-train)")
        setup(ctx)

    return wrapped


FD = ["metrics", "fd", "{root}/a", "{root}/b", "--backbone", "synth", "--root", "{root}/cache"]
PQ = ["metrics", "psnr-ssim", "{root}/a", "{root}/b"]
TWO = {"x.png": 16, "y.png": 16}


def no_files(folder) -> None:
    """Nothing but (empty) folders under ``folder``."""
    files = [p for p in folder.rglob("*") if not p.is_dir()] if folder.exists() else []
    assert not files, files


def _file(name: str, text: str = "keep me\n"):
    def setup(ctx: Ctx) -> None:
        (ctx.root / name).write_text(text)

    return setup


SYNTH_BIG = [
    "data",
    "synth",
    "faces",
    "--size",
    "16",
    "--n",
    "600",
    "--workers",
    "1",
    "--root",
    "{root}/data",
]


def killed_synth(ctx: Ctx) -> list[Result]:
    """``data synth`` killed half-way leaves its hidden temporary folder; the same command afterwards
    completes and removes it."""
    synth = ctx.root / "data" / "synth"
    proc = ctx.popen(SYNTH_BIG)
    kill_when(proc, lambda: len(list(synth.glob(".faces-16-n600-s0.*/images/*.png"))) >= 20, "20 images")
    assert not (synth / "faces-16-n600-s0").exists()
    res = ctx.spap(SYNTH_BIG)
    check_result(ctx, Step(SYNTH_BIG, 0, out=[r"faces-16-n600-s0"]), res)
    assert len(list((synth / "faces-16-n600-s0" / "images").glob("*.png"))) == 600 + 60
    return [res]


def _half_synth(ctx: Ctx) -> None:
    """A synthetic dataset folder without its manifest: an interrupted copy, or someone else's folder."""
    png(ctx.root / "data" / "synth" / "faces-16-n32-s0" / "images" / "000000.png")


ROWS = [
    # --- 1. typos and bad values ---
    Row(
        "unknown-command",
        [Step(["trian"], 2, [r"invalid choice: 'trian'", r"choose from .*'train'"], argparse=True)],
        real=True,
    ),
    refused(
        "unknown-kind",
        ["train", "gann", "--preset", "smoke", "--run-dir", RUN],
        r"unknown recipe 'gann'",
        r"choose one of gan, cyclegan",
    ),
    refused(
        "unknown-variant", train("--variant", "spap"), r"unknown variant 'spap'", r"choose one of .*spap_c2f"
    ),
    refused(
        "variant-of-other-recipe",
        train("--variant", "selfmod", kind="cyclegan"),
        r"'selfmod' exists only for gan",
        r"choose one of",
    ),
    refused(
        "unknown-preset",
        ["train", "gan", "--preset", "fast", "--run-dir", RUN],
        r"unknown preset 'fast'",
        r"choose one of paper, cpu, smoke",
    ),
    refused(
        "unknown-dataset",
        train("--dataset", "cityscape", kind="cyclegan"),
        r"unknown translation dataset 'cityscape'",
        r"choose one of streets, maps, facades",
    ),
    refused(
        "gan-dataset-for-cyclegan",
        train("--dataset", "faces", kind="cyclegan"),
        r"unknown translation dataset 'faces'",
        r"choose one of",
    ),
    refused("unknown-key", train("--set", "stpes=10"), r"unknown gan config key 'stpes'", r"--show-config"),
    refused(
        "override-without-value",
        train("--set", "steps"),
        r"'steps' is not of the form key=value",
        r"steps=200",
    ),
    refused("steps-zero", train("--set", "steps=0"), r"steps must be >= 1, got 0"),
    refused("width-nan", train("--set", "width=nan"), r"width expects a number, got 'nan'", real=True),
    refused("lr-inf", train("--set", "lr_d=1e999"), r"lr_d must be a finite number"),
    refused("beta1-above-one", train("--set", "beta1=1.5"), r"beta1 must be in \[0, 1\), got 1.5"),
    refused("workers-negative", train("--set", "num_workers=-1"), r"num_workers must be >= 0, got -1"),
    refused("progress-maybe", train("--set", "progress=maybe"), r"progress expects true/false, got 'maybe'"),
    refused("steps-fraction", train("--set", "steps=1.5"), r"steps expects an integer, got 1.5"),
    refused("seed-negative", train("--set", "seed=-1"), r"seed must be >= 0"),
    refused("image-size-odd", train("--set", "image_size=20"), r"image_size must be divisible by 8, got 20"),
    refused("kind-override", train("--set", "kind=cyclegan"), r"kind is fixed to 'gan'"),
    refused(
        "gan-mode-vanilla",
        train("--set", "gan_mode=vanilla", kind="cyclegan"),
        r"gan_mode must be one of lsgan, bce, got 'vanilla'",
    ),
    refused(
        "crop-above-load", train("--set", "crop_size=64", kind="cyclegan"), r"crop_size must be <= load_size"
    ),
    Row(
        "device-cuda-without-gpu",
        [
            Step(
                train("--set", "device=cuda"),
                2,
                [r"device 'cuda' requested but no GPU is visible: use --set device=cpu"],
            )
        ],
        check=lambda ctx, results: no_files(ctx.root / "run"),
    ),
    refused(
        "synth-unknown",
        ["data", "synth", "face", "--size", "16", "--n", "32", "--root", "{root}/data"],
        r"unknown synthetic dataset 'face'",
        r"choose one of faces",
    ),
    refused(
        "synth-size-small",
        ["data", "synth", "faces", "--size", "8", "--n", "32", "--root", "{root}/data"],
        r"size must be an integer >= 16, got 8",
    ),
    Row(
        "synth-n-not-int",
        [
            Step(
                ["data", "synth", "faces", "--n", "abc", "--root", "{root}/data"],
                2,
                [r"--n: invalid int value: 'abc'"],
                argparse=True,
                absent=("data",),
            )
        ],
    ),
    Row(
        "fd-resolution-zero",
        [Step(FD + ["--resolution", "0"], 2, [r"--resolution must be a positive number of pixels, got 0"])],
        setup=folders(TWO, TWO),
    ),
    refused("study-jobs-zero", ["study", "run", "--jobs", "0"], r"--jobs must be >= 1, got 0"),
    refused(
        "study-verify-unknown-run",
        ["study", "verify", "--run", "nonsense"],
        r"'nonsense' is not a study run",
        r"study status` lists them",
    ),
    refused(
        "study-verify-nothing-archived",
        ["study", "verify"],
        r"no archived study run to verify",
        r"study run` first",
    ),
    Row("study-status-nothing-archived", [Step(["study", "status"], 0, out=[r"archived 0 of \d+ runs"])]),
    refused("book-unknown-preset", ["book", "--preset", "fast", "--list"], r"'fast'", r"smoke"),
    # --- 2. paths ---
    Row(
        "run-dir-is-file",
        [
            Step(
                train(),
                2,
                [r"run folder .*/run: .*/run is a file, not a folder", r"choose another run folder"],
                keep=("run",),
            )
        ],
        setup=_file("run"),
    ),
    Row(
        "run-dir-under-file",
        [
            Step(
                train()[:-2] + ["--run-dir", "{root}/run/sub"],
                2,
                [r"/run is a file, not a folder", r"choose another run folder"],
                keep=("run",),
            )
        ],
        setup=_file("run"),
    ),
    Row(
        "synth-root-is-file",
        [
            Step(
                ["data", "synth", "faces", "--size", "16", "--n", "32", "--root", "{root}/data"],
                2,
                [r"data root .*/data is not a folder", r"pass --root a folder path"],
                keep=("data",),
            )
        ],
        setup=_file("data"),
    ),
    Row(
        "synth-root-under-file",
        [
            Step(
                ["data", "synth", "faces", "--size", "16", "--n", "32", "--root", "{root}/data/x"],
                2,
                [r"its parent .*/data is a file", r"pass --root a folder path"],
                keep=("data",),
            )
        ],
        setup=_file("data"),
    ),
    Row(
        "list-root-is-file",
        [
            Step(
                ["data", "list", "--root", "{root}/data"],
                2,
                [r"data root .*/data is not a folder"],
                keep=("data",),
            )
        ],
        setup=_file("data"),
    ),
    Row(
        "data-root-missing",
        [
            Step(
                train("--set", "data_source=folder", "--set", "data_root={root}/celeba_hq"),
                2,
                [r"face dataset root .*/celeba_hq does not exist", r"download or synthesize"],
                absent=("run", "celeba_hq"),
            )
        ],
    ),
    Row(
        "synth-folder-without-manifest",
        [
            Step(
                train("--set", "data_root={root}/data"),
                2,
                [r"faces-16-n32-s0 exists but has no manifest.json", r"delete it and re-run"],
                keep=("data/synth/faces-16-n32-s0/images/000000.png",),
            ),
            # the advice works
            Step(
                train("--set", "data_root={root}/data"),
                0,
                before=lambda ctx: shutil.rmtree(ctx.root / "data" / "synth" / "faces-16-n32-s0"),
            ),
        ],
        setup=_half_synth,
    ),
    Row("synth-killed-then-rerun", custom=killed_synth, weight=5),
    Row(
        "synth-disk-full",
        [
            Step(
                ["data", "synth", "faces", "--size", "16", "--n", "32", "--root", "{root}/data"],
                2,
                [
                    r"cannot write the dataset under .*File too large",
                    r"pass a writable --root with free space",
                ],
                fsize=300,
                absent=("data/synth/faces-16-n32-s0",),
            )
        ],
    ),
    Row(
        "fd-missing-folder",
        [Step(FD, 2, [r"dir1 folder .*/a does not exist or is not a folder: check the path"])],
        setup=folders(None, TWO),
    ),
    Row(
        "fd-empty-folder",
        [Step(FD, 2, [r"dir1 folder .*/a holds 0 image\(s\), 2 or more needed: check the path"])],
        setup=folders({}, TWO),
    ),
    Row(
        "fd-one-image",
        [Step(FD, 2, [r"dir2 folder .*/b holds 1 image\(s\), 2 or more needed"])],
        setup=folders(TWO, {"x.png": 16}),
    ),
    Row(
        "fd-truncated-png",
        [
            Step(
                FD,
                2,
                [r"cannot read image .*/a/z.png: .*truncated", r"re-download or delete it"],
                keep=("a/z.png",),
            )
        ],
        setup=needs_backbone(folders({**TWO, "z.png": "truncated"}, TWO)),
    ),
    Row(
        "fd-text-named-png",
        [
            Step(
                FD,
                2,
                [
                    r"cannot read image .*/b/notes.png: cannot identify image file",
                    r"re-download or delete it",
                ],
            )
        ],
        setup=needs_backbone(folders(TWO, {**TWO, "notes.png": b"these are my notes, not an image\n"})),
    ),
    Row(
        "psnr-size-mismatch",
        [
            Step(
                PQ,
                2,
                [r"/a/x.png is 16x16 but .*/b/x.png is 32x32: PSNR/SSIM compare images of the same size"],
            )
        ],
        setup=folders({"x.png": 16}, {"x.png": 32}),
    ),
    Row(
        "psnr-unmatched-names",
        [
            Step(
                PQ,
                0,
                [r"notice: scoring the 1 matched pairs; 1 output\(s\) and 2 target\(s\) have no partner"],
                out=[r'"psnr"'],
            )
        ],
        setup=folders({"x.png": 16, "only_a.png": 16}, {"x.png": 16, "b1.png": 16, "b2.png": 16}),
    ),
    Row(
        "psnr-no-partner",
        [
            Step(
                PQ,
                2,
                [
                    r"no image in .*/a has a partner at the same relative path in .*/b",
                    r"must share file names",
                ],
            )
        ],
        setup=folders({"x.png": 16}, {"y.png": 16}),
    ),
    Row(
        "psnr-corrupt-target",
        [Step(PQ, 2, [r"cannot read image .*/b/x.png", r"re-download or delete it"])],
        setup=folders({"x.png": 16}, {"x.png": "truncated"}),
    ),
]


if torch.cuda.is_available():  # the row needs a machine without a GPU
    ROWS = [r for r in ROWS if r.id != "device-cuda-without-gpu"]


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_cli_fault(row: Row, faults) -> None:
    faults.check(row)
