"""Typed training configurations (Sec. 4.3) and the named presets "paper", "cpu" and "smoke".

``GANConfig`` is the SNDCGAN recipe of Sec. 4.3 (compare_gan's ``sndcgan_celebahq128.gin``);
``CycleGANConfig`` the reference CycleGAN recipe (pytorch-CycleGAN-and-pix2pix defaults). Every field can be
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

import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from typing import Any

from spap_lib.data.registry import dataset_spec
from spap_lib.errors import ConfigError
from spap_lib.models import VARIANTS

PRESETS = ("paper", "cpu", "smoke")
PRECISIONS = ("fp32", "bf16", "fp16")


@dataclass
class RunOptions:
    """Fields shared by both recipes: bookkeeping, speed switches and data location."""

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
    paired_init: bool = (
        False  # weights drawn per layer name from the seed: shared layers start identical
    )


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
    gan_mode: str = "lsgan"  # "lsgan" (reference) | "vanilla" (BCE)
    lambda_cyc: float = 10.0
    lambda_identity: float = 0.5  # identity weight = lambda_identity * lambda_cyc (reference)
    pool_size: int = 50
    freeze_epochs: int = 100  # pyramid parameters frozen for epochs [0, freeze_epochs)
    init_std: float = 0.02


Config = GANConfig | CycleGANConfig

# --- presets --------------------------------------------------------------------------------------------


def _gan_paper() -> dict[str, Any]:
    """Exactly Sec. 4.3 on a GPU with real CelebA-HQ 128 (data/celebahq: images/ + split file).

    bf16 autocast and channels_last help convs on recent NVIDIA GPUs; torch.compile is left off by default
    (the spectral-norm parametrization compiles, but compile time dominates short runs) -- turn it on with
    ``--set compile=true`` for the 100k-step run.
    """
    return dict(
        data_source="folder",
        device="auto",
        precision="bf16",
        channels_last=True,
        num_workers=4,
        log_every=100,
        sample_every=5000,
        checkpoint_every=5000,
        n_samples=64,
    )


def _gan_cpu() -> dict[str, Any]:
    """Embedded default on 2 CPU cores: 32 px, width 0.25, batch 16, 300 steps, pyramid on after 120 (40%).

    Budget: the whole book (8 SNDCGAN + 12 CycleGAN runs, evaluation, reports) in <= 30 min on 2 cores.
    Measured: with 160 steps at batch 32 the book took 22 min 42 s (2026-11-25; the SNDCGAN runs 11.5 min of
    it); 300 steps at batch 16 draw about as many images (4,800 vs 5,120) at about the same cost
    (0.135 s/step at batch 16 vs 0.217 s/step at batch 32, vanilla). Departures from the paper, for the short
    budget: batch 16 instead of 64 and lr_G 2e-4 (the paper's D rate) instead of 1e-4, because at the paper's
    rates 160 steps left every variant at high-frequency noise. Even so, a few hundred steps are far from
    faces (600 steps at batch 16 first show face-like blobs): the cpu preset tests the pipeline and the
    mechanics, not the paper's FID claims.
    """
    return dict(
        image_size=32,
        width=0.25,
        batch_size=16,
        steps=300,
        freeze_steps=120,
        lr_g=2e-4,
        device="cpu",
        log_every=10,
        sample_every=100,
        checkpoint_every=150,
        n_samples=16,
        data_n=2000,
    )


def _gan_smoke() -> dict[str, Any]:
    """A run in a few seconds: 16 px, width 1/16, batch 8, 6 steps, pyramid switched on at step 3.

    One thread: such tiny convs gain nothing from two, and on a loaded 2-core machine two OpenMP threads
    made a smoke run 10-30x slower (measured 10-34 s vs 0.7-1.2 s with one thread).
    """
    return dict(
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
    )


def _cyclegan_paper() -> dict[str, Any]:
    """Exactly the reference recipe on a GPU with the real datasets (pix2pix/CycleGAN folder layouts).

    Load 286, random crop 256 and flip are the reference's ``--preprocess resize_and_crop`` defaults.
    bf16 autocast is on: instance norm and the LSGAN MSE run in fp32 under autocast. channels_last is off:
    reflection padding and instance norm gain nothing from it.
    """
    return dict(
        data_source="folder",
        device="auto",
        precision="bf16",
        num_workers=4,
        log_every=100,
        sample_every=1000,
        checkpoint_every=1000,
        n_samples=4,
    )


def _cyclegan_cpu() -> dict[str, Any]:
    """Embedded default on 2 CPU cores: 64 px, ngf = ndf = 16, 3 residual blocks, 4 + 4 epochs of 20 images.

    The pyramid switches on after half the epochs, as 100 of 200 in the paper. Measured with
    ``python benchmarks/bench_train.py --kind cyclegan --preset cpu`` (2 cores shared with other jobs, load
    average 4-5): 0.8-1.2 s/step for vanilla under that load (a cProfile of the same steps shows backward
    taking ~55%), ~0.3 s/step expected on an idle machine; 160 steps -> ~50 s per run idle, 12 runs ~10 min.
    """
    return dict(
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
    )


def _cyclegan_smoke() -> dict[str, Any]:
    """A run in a few seconds: 32 px, ngf = ndf = 4, 1 residual block, 2 + 2 epochs of 2 images, 1 thread."""
    return dict(
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
    )


_PRESETS = {
    "gan": {"paper": _gan_paper, "cpu": _gan_cpu, "smoke": _gan_smoke},
    "cyclegan": {"paper": _cyclegan_paper, "cpu": _cyclegan_cpu, "smoke": _cyclegan_smoke},
}
_CLASSES = {"gan": GANConfig, "cyclegan": CycleGANConfig}

# --- building and checking ------------------------------------------------------------------------------


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _coerce(key: str, value: Any, typ: Any) -> Any:
    """Convert ``value`` (a python value or a string from the command line) to ``typ`` or raise."""
    origin = typing.get_origin(typ)
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"internal: union type for {key}")  # we use none
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "true",
            "1",
            "yes",
            "on",
            "false",
            "0",
            "no",
            "off",
        ):
            return value.lower() in ("true", "1", "yes", "on")
        raise ConfigError(f"{key} expects true/false, got {value!r}")
    if typ is int:
        if isinstance(value, bool):
            raise ConfigError(f"{key} expects an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.replace("_", ""))
            except ValueError:
                pass
        raise ConfigError(f"{key} expects an integer, got {value!r}")
    if typ is float:
        if isinstance(value, bool):
            raise ConfigError(f"{key} expects a number, got {value!r}")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{key} expects a number, got {value!r}")
    if typ is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key} expects a string, got {value!r}")
    raise ConfigError(f"internal: unsupported field type {typ} for {key}")


def _parse_overrides(overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    if overrides is None:
        return {}
    if isinstance(overrides, dict):
        return dict(overrides)
    out: dict[str, Any] = {}
    for item in overrides:
        if not isinstance(item, str) or "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value (e.g. steps=200)")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


def validate(config: Config) -> Config:
    """Check ranges and choices; raise a one-line :class:`ConfigError` naming the field and the fix."""
    c = config
    if c.variant not in VARIANTS:
        raise ConfigError(f"unknown variant {c.variant!r}: choose one of {', '.join(VARIANTS)}")
    if c.device not in ("auto", "cpu", "cuda") and not c.device.startswith("cuda:"):
        raise ConfigError(f"device must be auto, cpu or cuda, got {c.device!r}")
    if c.precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {c.precision!r}")
    if c.data_source not in ("synthetic", "folder"):
        raise ConfigError(f"data_source must be 'synthetic' or 'folder', got {c.data_source!r}")
    positive = [
        "log_every",
        "sample_every",
        "checkpoint_every",
        "n_samples",
        "batch_size",
        "data_n",
    ]
    if isinstance(c, GANConfig):
        positive += ["steps", "image_size", "z_dim", "d_steps"]
        dataset_spec(c.dataset, "gan")
        if c.z_dist not in ("uniform", "normal"):
            raise ConfigError(f"z_dist must be 'uniform' or 'normal', got {c.z_dist!r}")
        if c.image_size % 8:
            raise ConfigError(f"image_size must be divisible by 8, got {c.image_size}")
        if c.freeze_steps < 0:
            raise ConfigError(f"freeze_steps must be >= 0, got {c.freeze_steps}")
        if c.width <= 0 or c.lr_d <= 0 or c.lr_g <= 0:
            raise ConfigError("width, lr_d and lr_g must be > 0")
    else:
        positive += ["load_size", "crop_size", "ngf", "ndf", "n_blocks", "n_layers"]
        dataset_spec(c.dataset, "cyclegan")
        if c.direction not in ("AtoB", "BtoA"):
            raise ConfigError(f"direction must be AtoB or BtoA, got {c.direction!r}")
        if c.gan_mode not in ("lsgan", "vanilla"):
            raise ConfigError(f"gan_mode must be lsgan or vanilla, got {c.gan_mode!r}")
        if c.n_epochs < 0 or c.n_epochs_decay < 0 or c.n_epochs + c.n_epochs_decay <= 0:
            raise ConfigError(
                f"n_epochs + n_epochs_decay must be > 0 (got {c.n_epochs} + {c.n_epochs_decay})"
            )
        if c.crop_size > c.load_size or c.crop_size % 4:
            raise ConfigError(
                f"crop_size must be <= load_size and divisible by 4 (got {c.crop_size}/{c.load_size})"
            )
        if c.freeze_epochs < 0 or c.max_iters_per_epoch < 0 or c.pool_size < 0:
            raise ConfigError("freeze_epochs, max_iters_per_epoch and pool_size must be >= 0")
        if c.lr <= 0:
            raise ConfigError(f"lr must be > 0, got {c.lr}")
    for name in positive:
        if getattr(c, name) <= 0:
            raise ConfigError(f"{name} must be > 0, got {getattr(c, name)}")
    return c


def make_config(
    kind: str, preset: str = "cpu", overrides: dict[str, Any] | list[str] | None = None
) -> Config:
    """The ``preset`` of recipe ``kind`` ("gan" | "cyclegan") with ``overrides`` applied and checked.

    ``overrides`` is a dict ``{"steps": 200}`` or a list ``["steps=200", "variant=spap_c2f"]``; unknown keys,
    wrong types and out-of-range values raise a one-line :class:`ConfigError`.
    """
    if kind not in _PRESETS:
        raise ConfigError(f"unknown recipe {kind!r}: choose 'gan' or 'cyclegan'")
    if preset not in _PRESETS[kind]:
        raise ConfigError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
    cls = _CLASSES[kind]
    types_ = _field_types(cls)
    values = _PRESETS[kind][preset]()
    for key, value in _parse_overrides(overrides).items():
        if key not in types_:
            raise ConfigError(
                f"unknown {kind} config key {key!r}: see `python -m spap_lib train {kind} --show-config`"
            )
        if key == "kind" and value != kind:
            raise ConfigError(f"kind is fixed to {kind!r} for this recipe")
        values[key] = _coerce(key, value, types_[key])
    config = cls(**values)
    return validate(config)


def config_from_dict(data: dict[str, Any]) -> Config:
    """Rebuild a config saved with :func:`config_to_dict` (config.json of a run folder)."""
    kind = data.get("kind")
    if kind not in _CLASSES:
        raise ConfigError(f"config has unknown kind {kind!r}: expected 'gan' or 'cyclegan'")
    cls = _CLASSES[kind]
    types_ = _field_types(cls)
    unknown = set(data) - set(types_)
    if unknown:
        raise ConfigError(
            f"config has unknown keys {sorted(unknown)}: was it written by another version?"
        )
    return validate(cls(**{k: _coerce(k, v, types_[k]) for k, v in data.items()}))


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


def check_resume_compatible(saved: dict[str, Any], config: Config) -> None:
    new = config_to_dict(config)
    diff = [k for k in new if k not in RESUMABLE_FIELDS and saved.get(k) != new[k]]
    if diff:
        k = diff[0]
        raise ConfigError(
            f"run folder holds a run with {k}={saved.get(k)!r}, not {new[k]!r}: "
            "use a new --run-dir or the saved config"
        )


def dumps(config: Config) -> str:
    return json.dumps(config_to_dict(config), indent=2, sort_keys=False)


__all__ = [
    "PRESETS",
    "Config",
    "CycleGANConfig",
    "GANConfig",
    "check_resume_compatible",
    "config_from_dict",
    "config_to_dict",
    "format_config",
    "make_config",
    "resolved_data_root",
    "validate",
]
