"""The named presets "paper", "cpu" and "smoke": one row each, from training overrides to how the book scores.

A preset is the fields each recipe changes from its dataclass defaults (which are the paper's recipe,
Sec. 4.3), plus what the book does with that preset's runs: how Table 1 is scored (:class:`FIDProtocol`),
which segmenter scores Table 2's labels->photo direction, and which seeds and datasets the book trains.
Every module that needs a preset fact reads this table: the training presets (``make_config``), the book's
plan (:mod:`spap_lib.reports.plan`) and its evaluation (:mod:`spap_lib.reports.evaluate`). The rows are plain
data, so this module imports nothing above :mod:`spap_lib.data`.

Why each preset is what it is:

* ``paper``: exactly Sec. 4.3 on a GPU with the real datasets. bf16 autocast everywhere (instance norm and the
  LSGAN MSE run in fp32 under autocast); channels_last for SNDCGAN only and torch.compile off, as the GPU
  benchmark (results/gpu, the book's "Speed on a GPU") measured: bf16 and channels_last shortened the
  SNDCGAN step for vanilla and SPAP, compile sped up vanilla but not SPAP (``--set compile=true`` for a
  vanilla run), and channels_last lengthened CycleGAN's bf16 step (reflection padding and instance norm
  gain nothing from it). Load 286, random crop 256 and flip are the reference's ``--preprocess
  resize_and_crop`` defaults; pix2pix is the reference recipe (unet_256, basic D with batch norm, BCE + 100
  L1); SCAN runs the CycleGAN recipe per stage, stage 1 at 128 px (ResNet-6), stage 2 at 256 px.
* ``cpu``: the book's default on 2 CPU cores. SNDCGAN at 32 px, width 0.25, 1,000 steps with the pyramid on
  after 400 (40%, as the paper): fewer steps left mode-collapsed checkerboards, 1,000 draw face-shaped
  samples. Batch 16 and lr_G 2e-4 (the paper's D rate) instead of 64 and 1e-4, because at the paper's rates
  a few hundred steps leave every variant at high-frequency noise: this preset tests the pipeline; the
  replication study (:mod:`spap_lib.study`, the paper's rates, 6,000 steps, five paired seeds) tests the
  claims. Translation at 64 px, ngf = ndf = 16, 3 residual blocks, 4 + 4 epochs of 20 images with the
  pyramid on after half the epochs (as 100 of 200 in the paper); pix2pix takes the same sizes and schedule
  (a 6-level U-Net); SCAN splits that run in two, 2 + 2 epochs at 32 px then 2 + 2 at 64 px (the
  checkpoint at step 80 is the stage switch). Step times: ``benchmarks/measured/``.
* ``smoke``: every run in seconds, for CI and nbval. One thread: such tiny convolutions gain nothing from
  two, and on a loaded 2-core machine two OpenMP threads made a smoke run 10-30x slower. SNDCGAN at 16 px,
  width 1/16, 6 steps, pyramid on at step 3; translation at 32 px, ngf = ndf = 4, 2 + 2 epochs of 2 images
  (pix2pix: a 5-level U-Net); SCAN at 64 px because its stage-1 PatchGAN needs >= 24 px (32 px would give
  16), 1 + 1 epochs per stage.

Scoring (the book's evaluation): smoke scores Table 1 with the FD-synth stand-in, because an Inception FID
costs ~0.1 s per image on 2 cores (``benchmarks/bench_fid.py``), too much for a pipeline test of seconds;
cpu with FID on 250 generated images against the first 1,000 training images (~45 s per run, the reference
cached), far above its large-n value and so compared between variants only, KID (unbiased) beside it;
paper with FID on 10,000 generated images against the training split. Table 2's segmenter: a CPU-sized one
on synthetic streets (smoke, cpu), the Cityscapes recipe at 256 px on a GPU (paper).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spap_lib.data.registry import datasets_of
from spap_lib.errors import ConfigError


@dataclass(frozen=True)
class FIDProtocol:
    """How a preset scores Table 1: the backbone and how many images on each side.

    ``n_generated`` / ``n_reference``: None = as many as there are training images. FID is biased upward at
    small n (the bias falls roughly as 1/n), so values are compared only at equal n; KID, unbiased, is
    reported beside it. The paper does not state its sample count.
    """

    backbone: str
    n_generated: int | None
    n_reference: int | None


# What the paper preset changes for every translation recipe (cyclegan, pix2pix, scan): the real data on a GPU.
_TRANSLATION_PAPER = dict(
    data_source="folder",
    device="auto",
    precision="bf16",
    num_workers=4,
    log_every=100,
    sample_every=1000,
    checkpoint_every=1000,
    n_samples=4,
)
# The cpu / smoke bookkeeping every translation recipe shares (what is logged and sampled how often).
_TRANSLATION_CPU = dict(
    device="cpu", log_every=5, sample_every=40, checkpoint_every=80, n_samples=4, data_n=200
)
_TRANSLATION_SMOKE = dict(
    threads=1, device="cpu", log_every=1, sample_every=4, checkpoint_every=4, n_samples=2, data_n=16
)


@dataclass(frozen=True)
class PresetSpec:
    """One preset: the fields it sets per recipe, and how the book trains and scores its runs."""

    name: str
    training: dict[str, dict[str, Any]] = field(hash=False)  # recipe -> fields changed from the defaults
    fid: FIDProtocol  # how Table 1 is scored
    segmenter: str  # Table 2's segmenter recipe (spap_lib.metrics.segmenter.PRESETS)
    segmenter_overrides: dict[str, Any] = field(hash=False)  # its fields changed (size is the run's)
    book_gan_seeds: tuple[int, ...]  # seeds per SNDCGAN variant (Table 1 reports best and median over runs)
    book_translation: tuple[str, ...] = datasets_of("translation")  # translation datasets the book trains


PRESET_SPECS: dict[str, PresetSpec] = {
    p.name: p
    for p in (
        PresetSpec(
            "paper",
            training={
                "gan": dict(
                    data_source="folder",
                    device="auto",
                    precision="bf16",
                    channels_last=True,
                    num_workers=4,
                    log_every=100,
                    sample_every=5000,
                    checkpoint_every=5000,
                    n_samples=64,
                ),
                "cyclegan": dict(_TRANSLATION_PAPER),
                "pix2pix": dict(_TRANSLATION_PAPER),
                "scan": dict(_TRANSLATION_PAPER),
            },
            fid=FIDProtocol("auto", 10_000, None),
            segmenter="cityscapes",
            segmenter_overrides={},
            book_gan_seeds=(0, 1, 2),
        ),
        PresetSpec(
            "cpu",
            training={
                "gan": dict(
                    image_size=32,
                    width=0.25,
                    batch_size=16,
                    steps=1000,
                    freeze_steps=400,
                    lr_g=2e-4,
                    device="cpu",
                    log_every=10,
                    sample_every=250,
                    checkpoint_every=500,
                    n_samples=16,
                    data_n=2000,
                ),
                "cyclegan": dict(
                    load_size=64,
                    crop_size=64,
                    ngf=16,
                    ndf=16,
                    n_blocks=3,
                    n_epochs=4,
                    n_epochs_decay=4,
                    freeze_epochs=4,
                    max_iters_per_epoch=20,
                    pool_size=50,
                    **_TRANSLATION_CPU,
                ),
                "pix2pix": dict(
                    load_size=64,
                    crop_size=64,
                    ngf=16,
                    ndf=16,
                    n_epochs=4,
                    n_epochs_decay=4,
                    max_iters_per_epoch=20,
                    **_TRANSLATION_CPU,
                ),
                "scan": dict(
                    load_size=64,
                    crop_size=64,
                    ngf=16,
                    ndf=16,
                    n_blocks=3,
                    stage1_n_blocks=2,
                    stage1_n_epochs=2,
                    stage1_n_epochs_decay=2,
                    n_epochs=2,
                    n_epochs_decay=2,
                    max_iters_per_epoch=20,
                    pool_size=50,
                    **_TRANSLATION_CPU,
                ),
            },
            fid=FIDProtocol("auto", 250, 1000),
            segmenter="synth",
            segmenter_overrides={"steps": 600, "width": 32},
            book_gan_seeds=(0, 1),
        ),
        PresetSpec(
            "smoke",
            training={
                "gan": dict(
                    image_size=16,
                    width=1 / 16,
                    threads=1,
                    batch_size=8,
                    steps=6,
                    freeze_steps=3,
                    device="cpu",
                    log_every=1,
                    sample_every=3,
                    checkpoint_every=3,
                    n_samples=4,
                    data_n=32,
                ),
                "cyclegan": dict(
                    load_size=32,
                    crop_size=32,
                    ngf=4,
                    ndf=4,
                    n_blocks=1,
                    n_epochs=2,
                    n_epochs_decay=2,
                    freeze_epochs=2,
                    max_iters_per_epoch=2,
                    pool_size=4,
                    **_TRANSLATION_SMOKE,
                ),
                "pix2pix": dict(
                    load_size=32,
                    crop_size=32,
                    ngf=4,
                    ndf=4,
                    n_epochs=2,
                    n_epochs_decay=2,
                    max_iters_per_epoch=2,
                    **_TRANSLATION_SMOKE,
                ),
                "scan": dict(
                    load_size=64,
                    crop_size=64,
                    ngf=4,
                    ndf=4,
                    n_blocks=1,
                    stage1_n_blocks=1,
                    stage1_n_epochs=1,
                    stage1_n_epochs_decay=1,
                    n_epochs=1,
                    n_epochs_decay=1,
                    max_iters_per_epoch=2,
                    pool_size=4,
                    **_TRANSLATION_SMOKE,
                ),
            },
            fid=FIDProtocol("synth", None, None),
            segmenter="synth",
            segmenter_overrides={"steps": 20, "width": 8},
            book_gan_seeds=(0, 1),
        ),
    )
}
PRESETS = tuple(PRESET_SPECS)


def preset_spec(name: str) -> PresetSpec:
    """The row of preset ``name``; a one-line :class:`ConfigError` for an unknown one."""
    if name not in PRESET_SPECS:
        raise ConfigError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return PRESET_SPECS[name]
