"""Typed training configurations (Sec. 4.3) and the named presets "paper", "cpu" and "smoke".

``GANConfig`` is the SNDCGAN recipe of Sec. 4.3 (compare_gan's ``sndcgan_celebahq128.gin``);
``CycleGANConfig`` the reference CycleGAN recipe (pytorch-CycleGAN-and-pix2pix defaults); the baselines of
Tables 2-3 have their own: ``Pix2PixConfig`` (the reference pix2pix recipe [17], paired data) and
``SCANConfig`` (the CycleGAN recipe run twice, half then full resolution [22]). Every field can be
overridden with :func:`make_config` from a dict or from ``["key=value", ...]`` strings (CLI ``--set``); the
values are type-checked against the dataclass annotations.

Choices where the paper is silent (documented here and in the presets):

* Adam betas for SNDCGAN: (0.5, 0.999), exactly compare_gan's ``example_configs/sndcgan_celebahq128.gin``
  (``tf.train.AdamOptimizer.beta1 = 0.5``, ``beta2 = 0.999``). The paper gives only the learning rates
  (D 2e-4, G 1e-4), which we use instead of the gin file's single ``g_lr = 0.0002``.
* Latent z: U(-1, 1)^128, compare_gan's default ``z_generator`` (``distribution_fn=tf.random.uniform,
  minval=-1, maxval=1``); ``z_dist="normal"`` switches to N(0, I).
* Initialisation: N(0, 0.02) weights and zero biases for both recipes (compare_gan's ``weights.initializer``
  default ``normal`` with ``stddev=0.02``; the reference CycleGAN's ``--init_type normal --init_gain 0.02``).
* Data: ``data_source="synthetic"`` trains on :func:`spap_lib.data.synthesize` stand-ins cached under
  ``data_root``; ``"folder"`` reads a real dataset folder (CelebA-HQ layout / pix2pix or CycleGAN layout).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import typing
from dataclasses import dataclass
from typing import Any

from spap_lib.data.registry import dataset_spec
from spap_lib.errors import ConfigError
from spap_lib.models import check_variant, unet_num_downs
from spap_lib.models.scan import check_patchgan_input, stage1_size

PRESETS = ("paper", "cpu", "smoke")
PRECISIONS = ("fp32", "bf16", "fp16")


@dataclass
class RunOptions:
    """Fields shared by every recipe: bookkeeping, speed switches and data location."""

    variant: str = "vanilla"
    seed: int = 0
    device: str = "auto"  # "auto" (cuda if available), "cpu", "cuda"
    precision: str = "fp32"  # "fp32" | "bf16" | "fp16" (autocast; fp16 adds a GradScaler)
    channels_last: bool = False
    compile: bool = False
    deterministic: bool = True  # torch.use_deterministic_algorithms(True, warn_only=True)
    threads: int = 0  # torch intra-op threads during the run, restored after (0 = leave unchanged)
    num_workers: int = 0
    log_every: int = 10  # steps between log.jsonl lines (and progress-bar updates)
    sample_every: int = 100  # steps between sample grids (and one at the end)
    checkpoint_every: int = 100  # steps between checkpoints (and one at the end)
    n_samples: int = 16  # images per sample grid
    progress: bool = True  # tqdm bar (also off when TQDM_DISABLE is set)
    data_source: str = "synthetic"  # "synthetic" | "folder"
    data_root: str = ""  # "" -> "data" (synthetic cache) or "data/<real dataset>" (folder)
    data_n: int = 2000  # synthetic: number of training images / pairs
    data_seed: int = 0  # synthetic: generator seed of the stand-in data
    paired_init: bool = False  # weights drawn per layer name from the seed: shared layers start identical


@dataclass
class GANConfig(RunOptions):
    """SNDCGAN on CelebA-HQ (Sec. 4.3): non-saturating loss (Eq. 1), Adam, one D step per G step."""

    kind: str = "gan"
    dataset: str = "faces"
    image_size: int = 128
    width: float = 1.0
    z_dim: int = 128
    z_dist: str = "uniform"  # compare_gan default U(-1, 1); "normal" = N(0, I)
    batch_size: int = 64  # global batch (split across DDP ranks)
    steps: int = 100_000  # generator steps
    d_steps: int = 1  # discriminator steps per generator step (compare_gan disc_iters = 1)
    lr_d: float = 2e-4
    lr_g: float = 1e-4
    beta1: float = 0.5
    beta2: float = 0.999
    freeze_steps: int = 40_000  # pyramid parameters frozen for steps [0, freeze_steps)
    init_std: float = 0.02


@dataclass
class CycleGANConfig(RunOptions):
    """CycleGAN (Sec. 4.3, Eq. 2-4) as the reference implements it: LSGAN, cycle 10, identity 0.5, pool 50."""

    kind: str = "cyclegan"
    dataset: str = "streets"
    direction: str = "AtoB"
    load_size: int = 286
    crop_size: int = 256
    ngf: int = 64
    ndf: int = 64
    n_blocks: int = 9
    n_layers: int = 3
    batch_size: int = 1
    n_epochs: int = 100  # epochs at the initial lr
    n_epochs_decay: int = 100  # epochs of linear decay (reference lambda_rule)
    max_iters_per_epoch: int = 0  # 0 = the whole dataset each epoch; > 0 caps it (CPU presets)
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    gan_mode: str = "lsgan"  # "lsgan" (the reference's MSE) | "bce" (the original GAN loss)
    lambda_cyc: float = 10.0
    lambda_identity: float = 0.5  # identity weight = lambda_identity * lambda_cyc (reference)
    pool_size: int = 50
    freeze_epochs: int = 100  # pyramid parameters frozen for epochs [0, freeze_epochs)
    init_std: float = 0.02


@dataclass
class Pix2PixConfig(RunOptions):
    """Pix2Pix [17] as the reference implements it (Table 2's paired upper bound): U-Net G, conditional
    PatchGAN D with batch norm, BCE GAN loss (the reference's ``vanilla``) + lambda_l1 * L1, D loss halved.

    One run translates one way: ``direction`` AtoB trains A -> B, BtoA trains B -> A (Table 2 reports both).
    """

    kind: str = "pix2pix"
    dataset: str = "streets"
    direction: str = "AtoB"
    load_size: int = 286
    crop_size: int = 256  # the U-Net has log2(crop_size) levels (8 at 256 px: the reference's unet_256)
    ngf: int = 64
    ndf: int = 64
    n_layers: int = 3
    batch_size: int = 1
    n_epochs: int = 100  # epochs at the initial lr
    n_epochs_decay: int = 100  # epochs of linear decay (reference lambda_rule)
    max_iters_per_epoch: int = 0  # 0 = the whole dataset each epoch; > 0 caps it (CPU presets)
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    gan_mode: str = "bce"  # the reference pix2pix's "vanilla" GAN loss (BCE on logits)
    lambda_l1: float = 100.0  # the reference's lambda_L1
    init_std: float = 0.02


@dataclass
class SCANConfig(CycleGANConfig):
    """SCAN [22]: the CycleGAN recipe twice, progressively. Stage 1 trains a CycleGAN at crop_size / 2 for
    ``stage1_n_epochs + stage1_n_epochs_decay`` epochs; then stage 2 (full resolution, stage 1 fixed) trains
    for ``n_epochs + n_epochs_decay`` epochs, each stage with its own Adam and reference lr decay. Every other
    field is the CycleGAN one and holds for both stages. SCAN has no pyramid variant (``freeze_epochs``
    unused)."""

    kind: str = "scan"
    freeze_epochs: int = 0
    stage1_n_blocks: int = 6  # the reference ResNet-6 for the 128 px stage-1 images (ResNet-9 at 256)
    stage1_n_epochs: int = 100
    stage1_n_epochs_decay: int = 100


Config = GANConfig | CycleGANConfig | Pix2PixConfig | SCANConfig

# --- presets: one table per recipe -------------------------------------------------------------------------
# Each preset is the fields it changes from the dataclass defaults (which are the paper's recipe).
#
# gan / paper: exactly Sec. 4.3 on a GPU with real CelebA-HQ 128 (data/celeba_hq: images/ + split file).
#   bf16 autocast and channels_last are on, torch.compile off: on an H200 (results/gpu, the book's "Speed on
#   a GPU") bf16 and channels_last each shortened the step for both vanilla and SPAP, while compile sped up
#   vanilla but not SPAP (--set compile=true for a vanilla run).
# gan / cpu: the embedded default on 2 CPU cores: 32 px, width 0.25, batch 16, 1,000 steps, pyramid on after
#   400 (40%). At 300 steps the samples were mode-collapsed checkerboards; this network draws face-shaped
#   samples at 1,000 steps and recognisable faces at 2,000 (185 s with 2 threads, measured 2026-11-25), and
#   the replication study (spap_lib/study) trains it 6,000 steps. 1,000 steps cost ~100 s per run with one
#   thread, two runs side by side. Departures from the paper, for the short budget: batch 16 instead of 64
#   and lr_G 2e-4 (the paper's D rate) instead of 1e-4, because at the paper's rates a few hundred steps
#   left every variant at high-frequency noise. The cpu preset tests the pipeline and the mechanics; the
#   study (the paper's rates, 6,000 steps, five paired seeds) tests the claims.
# gan / smoke: a run in a few seconds: 16 px, width 1/16, batch 8, 6 steps, pyramid switched on at step 3.
#   One thread: such tiny convs gain nothing from two, and on a loaded 2-core machine two OpenMP threads
#   made a smoke run 10-30x slower (measured 10-34 s vs 0.7-1.2 s with one thread).
# cyclegan / paper: exactly the reference recipe on a GPU with the real datasets (pix2pix/CycleGAN folder
#   layouts). Load 286, random crop 256 and flip are the reference's --preprocess resize_and_crop
#   defaults. bf16 autocast is on: instance norm and the LSGAN MSE run in fp32 under autocast.
#   channels_last is off: reflection padding and instance norm gain nothing from it (on an H200, results/gpu,
#   it lengthened the bf16 step of vanilla and SPAP); bf16 shortened SPAP's step and left vanilla's as it was.
# cyclegan / cpu: the embedded default on 2 CPU cores: 64 px, ngf = ndf = 16, 3 residual blocks, 4 + 4
#   epochs of 20 images; the pyramid switches on after half the epochs, as 100 of 200 in the paper.
#   Measured with benchmarks/bench_train.py --kind cyclegan --preset cpu (load average 4-5): 0.8-1.2 s/step
#   for vanilla under that load, ~0.1 s/step on an idle machine (2026-11-26).
# cyclegan / smoke: a run in a few seconds: 32 px, ngf = ndf = 4, 1 residual block, 2 + 2 epochs of 2
#   images, 1 thread.
# pix2pix / paper: exactly the reference pix2pix recipe (unet_256, basic D with batch norm, BCE + 100 L1,
#   batch 1, 100 + 100 epochs) on the real aligned A|B folders; bf16 autocast as cyclegan / paper.
# pix2pix / cpu and smoke: the cyclegan presets' sizes and schedules (64 px, ngf = ndf = 16, 4 + 4 epochs
#   of 20 images; 32 px, ngf = ndf = 4, 2 + 2 epochs of 2 images): a 6- and a 5-level U-Net.
# scan / paper: the CycleGAN recipe for each stage, stage 1 at 128 px (ResNet-6), stage 2 at 256 px.
# scan / cpu: the cyclegan / cpu run split in two: 2 + 2 epochs at 32 px, then 2 + 2 at 64 px, 20 images
#   an epoch; the checkpoint at step 80 is the stage switch.
# scan / smoke: 64 px (the stage-1 PatchGAN needs >= 24 px: 32 px), ngf = ndf = 4, one residual block per
#   stage, 1 + 1 epochs of 2 images per stage, 1 thread.
PRESET_TABLE: dict[str, dict[str, dict[str, Any]]] = {
    "gan": {
        "paper": dict(
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
        "cpu": dict(
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
        "smoke": dict(
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
    },
    "cyclegan": {
        "paper": dict(
            data_source="folder",
            device="auto",
            precision="bf16",
            num_workers=4,
            log_every=100,
            sample_every=1000,
            checkpoint_every=1000,
            n_samples=4,
        ),
        "cpu": dict(
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
            device="cpu",
            log_every=5,
            sample_every=40,
            checkpoint_every=80,
            n_samples=4,
            data_n=200,
        ),
        "smoke": dict(
            load_size=32,
            crop_size=32,
            threads=1,
            ngf=4,
            ndf=4,
            n_blocks=1,
            n_epochs=2,
            n_epochs_decay=2,
            freeze_epochs=2,
            max_iters_per_epoch=2,
            pool_size=4,
            device="cpu",
            log_every=1,
            sample_every=4,
            checkpoint_every=4,
            n_samples=2,
            data_n=16,
        ),
    },
    "pix2pix": {
        "paper": dict(
            data_source="folder",
            device="auto",
            precision="bf16",
            num_workers=4,
            log_every=100,
            sample_every=1000,
            checkpoint_every=1000,
            n_samples=4,
        ),
        "cpu": dict(
            load_size=64,
            crop_size=64,
            ngf=16,
            ndf=16,
            n_epochs=4,
            n_epochs_decay=4,
            max_iters_per_epoch=20,
            device="cpu",
            log_every=5,
            sample_every=40,
            checkpoint_every=80,
            n_samples=4,
            data_n=200,
        ),
        "smoke": dict(
            load_size=32,
            crop_size=32,
            threads=1,
            ngf=4,
            ndf=4,
            n_epochs=2,
            n_epochs_decay=2,
            max_iters_per_epoch=2,
            device="cpu",
            log_every=1,
            sample_every=4,
            checkpoint_every=4,
            n_samples=2,
            data_n=16,
        ),
    },
    "scan": {
        "paper": dict(
            data_source="folder",
            device="auto",
            precision="bf16",
            num_workers=4,
            log_every=100,
            sample_every=1000,
            checkpoint_every=1000,
            n_samples=4,
        ),
        "cpu": dict(
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
            device="cpu",
            log_every=5,
            sample_every=40,
            checkpoint_every=80,
            n_samples=4,
            data_n=200,
        ),
        "smoke": dict(
            load_size=64,
            crop_size=64,
            threads=1,
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
            device="cpu",
            log_every=1,
            sample_every=4,
            checkpoint_every=4,
            n_samples=2,
            data_n=16,
        ),
    },
}
RECIPES: dict[str, type] = {
    "gan": GANConfig,
    "cyclegan": CycleGANConfig,
    "pix2pix": Pix2PixConfig,
    "scan": SCANConfig,
}
# the kind of dataset (spap_lib.data.registry) each recipe trains on: synthesis or translation pairs
DATASET_KIND = {"gan": "gan", "cyclegan": "cyclegan", "pix2pix": "cyclegan", "scan": "cyclegan"}

# --- values and ranges ---------------------------------------------------------------------------------


def parse_value(text: str) -> Any:
    """A ``--set`` value as Python: ``true``/``false`` (any case), a number or a quoted string as literals
    (``ast.literal_eval``: ``200``, ``1_000``, ``2e-4``, ``"a b"``), anything else as the plain string."""
    if text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip()


def check_type(key: str, value: Any, typ: type) -> Any:
    """``value`` as field type ``typ`` (an int is a valid float; a bool is never a number), else an error."""
    if typ is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, typ) and not (typ is int and isinstance(value, bool)):
        return value
    want = {bool: "true/false", int: "an integer", float: "a number", str: "a string"}[typ]
    raise ConfigError(f"{key} expects {want}, got {value!r}")


def _field_types(cls: type) -> dict[str, type]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def parse_overrides(overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """``{"key": value}`` from a dict (taken as is) or from ``["key=value", ...]`` (values parsed)."""
    if overrides is None:
        return {}
    if isinstance(overrides, dict):
        return dict(overrides)
    out: dict[str, Any] = {}
    for item in overrides:
        if not isinstance(item, str) or "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value (e.g. steps=200)")
        key, value = item.split("=", 1)
        out[key.strip()] = parse_value(value)
    return out


# field: (lowest, highest, lowest allowed?, highest allowed?) -- every numeric range, in one place
RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "seed": (0, math.inf, True, False),
    "threads": (0, math.inf, True, False),
    "num_workers": (0, math.inf, True, False),
    "log_every": (1, math.inf, True, False),
    "sample_every": (1, math.inf, True, False),
    "checkpoint_every": (1, math.inf, True, False),
    "n_samples": (1, math.inf, True, False),
    "data_n": (1, math.inf, True, False),
    "data_seed": (0, math.inf, True, False),
    "batch_size": (1, math.inf, True, False),
    "beta1": (0.0, 1.0, True, False),
    "beta2": (0.0, 1.0, True, False),
    "init_std": (0.0, math.inf, False, False),
    # SNDCGAN
    "image_size": (8, math.inf, True, False),
    "width": (0.0, math.inf, False, False),
    "z_dim": (1, math.inf, True, False),
    "steps": (1, math.inf, True, False),
    "d_steps": (1, math.inf, True, False),
    "lr_d": (0.0, math.inf, False, False),
    "lr_g": (0.0, math.inf, False, False),
    "freeze_steps": (0, math.inf, True, False),
    # CycleGAN
    "load_size": (4, math.inf, True, False),
    "crop_size": (4, math.inf, True, False),
    "ngf": (1, math.inf, True, False),
    "ndf": (1, math.inf, True, False),
    "n_blocks": (1, math.inf, True, False),
    "n_layers": (2, math.inf, True, False),
    "n_epochs": (0, math.inf, True, False),
    "n_epochs_decay": (0, math.inf, True, False),
    "max_iters_per_epoch": (0, math.inf, True, False),
    "lr": (0.0, math.inf, False, False),
    "lambda_cyc": (0.0, math.inf, True, False),
    "lambda_identity": (0.0, math.inf, True, False),
    "pool_size": (0, math.inf, True, False),
    "freeze_epochs": (0, math.inf, True, False),
    # Pix2Pix
    "lambda_l1": (0.0, math.inf, True, False),
    # SCAN
    "stage1_n_blocks": (1, math.inf, True, False),
    "stage1_n_epochs": (0, math.inf, True, False),
    "stage1_n_epochs_decay": (0, math.inf, True, False),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "precision": PRECISIONS,
    "data_source": ("synthetic", "folder"),
    "z_dist": ("uniform", "normal"),
    "direction": ("AtoB", "BtoA"),
    "gan_mode": ("lsgan", "bce"),
}


def _in_range(name: str, value: float) -> None:
    lo, hi, lo_ok, hi_ok = RANGES[name]
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if (value > lo or (lo_ok and value == lo)) and (value < hi or (hi_ok and value == hi)):
        return
    if hi == math.inf:
        raise ConfigError(f"{name} must be {'>=' if lo_ok else '>'} {lo:g}, got {value!r}")
    left, right = "[" if lo_ok else "(", "]" if hi_ok else ")"
    raise ConfigError(f"{name} must be in {left}{lo:g}, {hi:g}{right}, got {value!r}")


def validate(config: Config) -> Config:
    """Check every type, range and choice; raise a one-line :class:`ConfigError` naming the field and the
    fix. The trainers call this before anything is written."""
    c = config
    for name, typ in _field_types(type(c)).items():
        check_type(name, getattr(c, name), typ)
        if name in RANGES:
            _in_range(name, getattr(c, name))
        if name in CHOICES and getattr(c, name) not in CHOICES[name]:
            raise ConfigError(f"{name} must be one of {', '.join(CHOICES[name])}, got {getattr(c, name)!r}")
    check_variant(c.variant, c.kind)
    if c.device not in ("auto", "cpu", "cuda") and not c.device.startswith("cuda:"):
        raise ConfigError(f"device must be auto, cpu or cuda, got {c.device!r}")
    dataset_spec(c.dataset, DATASET_KIND[c.kind])
    if isinstance(c, GANConfig):
        if c.image_size % 8:
            raise ConfigError(f"image_size must be divisible by 8, got {c.image_size}")
    else:
        if c.n_epochs + c.n_epochs_decay <= 0:
            raise ConfigError(
                f"n_epochs + n_epochs_decay must be > 0 (got {c.n_epochs} + {c.n_epochs_decay})"
            )
        if c.crop_size > c.load_size or c.crop_size % 4:
            raise ConfigError(
                f"crop_size must be <= load_size and divisible by 4 (got {c.crop_size}/{c.load_size})"
            )
    if isinstance(c, Pix2PixConfig):
        unet_num_downs(c.crop_size)
        check_patchgan_input(c.crop_size, c.n_layers)
    if isinstance(c, SCANConfig):
        if c.stage1_n_epochs + c.stage1_n_epochs_decay <= 0:
            raise ConfigError(
                f"stage1_n_epochs + stage1_n_epochs_decay must be > 0 "
                f"(got {c.stage1_n_epochs} + {c.stage1_n_epochs_decay})"
            )
        stage1_size(c.crop_size, c.n_layers)
    return c


def make_config(
    kind: str, preset: str = "cpu", overrides: dict[str, Any] | list[str] | None = None
) -> Config:
    """The ``preset`` of recipe ``kind`` ("gan" | "cyclegan" | "pix2pix" | "scan") with ``overrides``.

    ``overrides`` is a dict ``{"steps": 200}`` or a list ``["steps=200", "variant=spap_c2f"]``; unknown keys,
    wrong types and out-of-range values raise a one-line :class:`ConfigError`.
    """
    if kind not in RECIPES:
        raise ConfigError(f"unknown recipe {kind!r}: choose one of {', '.join(RECIPES)}")
    if preset not in PRESET_TABLE[kind]:
        raise ConfigError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
    types_ = _field_types(RECIPES[kind])
    values = dict(PRESET_TABLE[kind][preset])
    for key, value in parse_overrides(overrides).items():
        if key not in types_:
            raise ConfigError(
                f"unknown {kind} config key {key!r}: see `python -m spap_lib train {kind} --show-config`"
            )
        if key == "kind" and value != kind:
            raise ConfigError(f"kind is fixed to {kind!r} for this recipe")
        values[key] = check_type(key, value, types_[key])
    return validate(RECIPES[kind](**values))


def config_from_dict(data: dict[str, Any]) -> Config:
    """Rebuild a config saved with :func:`config_to_dict` (config.json of a run folder)."""
    kind = data.get("kind")
    if kind not in RECIPES:
        raise ConfigError(f"config has unknown kind {kind!r}: expected one of {', '.join(RECIPES)}")
    types_ = _field_types(RECIPES[kind])
    unknown = set(data) - set(types_)
    if unknown:
        raise ConfigError(f"config has unknown keys {sorted(unknown)}: was it written by another version?")
    return validate(RECIPES[kind](**{k: check_type(k, v, types_[k]) for k, v in data.items()}))


def config_to_dict(config: Config) -> dict[str, Any]:
    return dataclasses.asdict(config)


def format_config(config: Config) -> str:
    """Printable ``key = value`` lines (also what ``--show-config`` prints)."""
    return "\n".join(f"{k} = {v!r}" for k, v in config_to_dict(config).items())


def resolved_data_root(config: Config) -> str:
    """``data_root`` with its default filled in (see :class:`RunOptions`)."""
    if config.data_root:
        return config.data_root
    if config.data_source == "synthetic":
        return "data"
    return f"data/{dataset_spec(config.dataset).real}"


# fields that may differ between the saved run and a resumed one (they do not change the trajectory)
RESUMABLE_FIELDS = frozenset(
    {
        "log_every",
        "sample_every",
        "checkpoint_every",
        "progress",
        "num_workers",
        "device",
        "compile",
    }
)


def check_resume_compatible(
    saved: dict[str, Any], config: Config, finished: bool = False, source: str = "run folder"
) -> None:
    """ConfigError if the run ``saved`` describes differs from ``config`` beyond bookkeeping fields.
    ``finished``: a finished run without a checkpoint, which a new run would overwrite."""
    new = config_to_dict(config)
    diff = [k for k in new if k not in RESUMABLE_FIELDS and saved.get(k) != new[k]]
    if diff:
        k = diff[0]
        if finished:
            raise ConfigError(
                f"{source} holds a finished run with {k}={saved.get(k)!r}, not {new[k]!r} (its checkpoint is "
                "gone): to keep it use a new --run-dir; to replace it delete the folder (notebooks: fresh=True)"
            )
        raise ConfigError(
            f"{source} holds a run with {k}={saved.get(k)!r}, not {new[k]!r}: "
            "use a new --run-dir or the saved config"
        )


def dumps(config: Config) -> str:
    return json.dumps(config_to_dict(config), indent=2, sort_keys=False)


__all__ = [
    "PRESETS",
    "Config",
    "CycleGANConfig",
    "GANConfig",
    "Pix2PixConfig",
    "SCANConfig",
    "check_resume_compatible",
    "config_from_dict",
    "config_to_dict",
    "format_config",
    "make_config",
    "resolved_data_root",
    "validate",
]
