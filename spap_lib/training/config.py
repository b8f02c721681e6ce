"""Typed training configurations (Sec. 4.3), the table of recipes, and the checks every field declares.

``GANConfig`` is the SNDCGAN recipe of Sec. 4.3 (compare_gan's ``sndcgan_celebahq128.gin``);
``CycleGANConfig`` the reference CycleGAN recipe (pytorch-CycleGAN-and-pix2pix defaults); the baselines of
Tables 2-3 have their own: ``Pix2PixConfig`` (the reference pix2pix recipe [17], paired data) and
``SCANConfig`` (the CycleGAN recipe run twice, half then full resolution [22]). :data:`RECIPE_SPECS` has one
row per recipe (config class, trainer, datasets, run names); :data:`RECIPES`, :data:`DATASET_KIND` and
:func:`run_name` are read from it. Each field declares its range, choices and whether a resumed run may
change it beside its default (:func:`setting`); :data:`RANGES`, :data:`CHOICES` and :data:`RESUMABLE_FIELDS`
are collected from the fields. The presets are rows of :data:`spap_lib.training.presets.PRESET_SPECS`.
Every field can be overridden with :func:`make_config` from a dict or from ``["key=value", ...]`` strings
(CLI ``--set``); the values are type-checked against the dataclass annotations.

Choices where the paper is silent:

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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spap_lib.data.registry import dataset_spec
from spap_lib.errors import ConfigError
from spap_lib.models import check_variant, unet_num_downs
from spap_lib.models.scan import check_patchgan_input, stage1_size
from spap_lib.training.presets import PRESET_SPECS, PRESETS, preset_spec

PRECISIONS = ("fp32", "bf16", "fp16")


def setting(
    default: Any,
    lo: float | None = None,
    hi: float = math.inf,
    *,
    lo_ok: bool = True,
    hi_ok: bool = False,
    choices: tuple[str, ...] = (),
    resumable: bool = False,
) -> Any:
    """A config field with its checks beside its default: the range from ``lo`` to ``hi`` (``lo_ok`` /
    ``hi_ok``: whether each end is allowed), the allowed strings ``choices``, and ``resumable``: a resumed
    run may change it (bookkeeping that does not change the training trajectory)."""
    meta: dict[str, Any] = {}
    if lo is not None:
        meta["range"] = (lo, hi, lo_ok, hi_ok)
    if choices:
        meta["choices"] = tuple(choices)
    if resumable:
        meta["resumable"] = True
    return dataclasses.field(default=default, metadata=meta)


@dataclass
class SharedConfig:
    """Fields shared by every recipe: bookkeeping, speed switches and data location."""

    variant: str = "vanilla"
    seed: int = setting(0, 0)
    device: str = setting("auto", resumable=True)  # "auto" (cuda if available), "cpu", "cuda"
    precision: str = setting("fp32", choices=PRECISIONS)  # autocast; fp16 adds a GradScaler
    channels_last: bool = False
    compile: bool = setting(False, resumable=True)
    deterministic: bool = True  # torch.use_deterministic_algorithms(True, warn_only=True)
    threads: int = setting(
        0, 0
    )  # torch intra-op threads during the run, restored after (0 = leave unchanged)
    num_workers: int = setting(0, 0, resumable=True)
    log_every: int = setting(
        10, 1, resumable=True
    )  # steps between log.jsonl lines (and progress-bar updates)
    sample_every: int = setting(100, 1, resumable=True)  # steps between sample grids (and one at the end)
    checkpoint_every: int = setting(100, 1, resumable=True)  # steps between checkpoints (and one at the end)
    n_samples: int = setting(16, 1)  # images per sample grid
    progress: bool = setting(True, resumable=True)  # tqdm bar (also off when TQDM_DISABLE is set)
    data_source: str = setting("synthetic", choices=("synthetic", "folder"))
    data_root: str = ""  # "" -> "data" (synthetic cache) or "data/<real dataset>" (folder)
    data_n: int = setting(2000, 1)  # synthetic: number of training images / pairs
    data_seed: int = setting(0, 0)  # synthetic: generator seed of the stand-in data
    paired_init: bool = False  # weights drawn per layer name from the seed: shared layers start identical


@dataclass
class GANConfig(SharedConfig):
    """SNDCGAN on CelebA-HQ (Sec. 4.3): non-saturating loss (Eq. 1), Adam, one D step per G step."""

    kind: str = "gan"
    dataset: str = "faces"
    image_size: int = setting(128, 8)
    width: float = setting(1.0, 0.0, lo_ok=False)
    z_dim: int = setting(128, 1)
    z_dist: str = setting("uniform", choices=("uniform", "normal"))  # compare_gan default U(-1, 1)
    batch_size: int = setting(64, 1)  # global batch (split across DDP ranks)
    steps: int = setting(100_000, 1)  # generator steps
    d_steps: int = setting(1, 1)  # discriminator steps per generator step (compare_gan disc_iters = 1)
    lr_d: float = setting(2e-4, 0.0, lo_ok=False)
    lr_g: float = setting(1e-4, 0.0, lo_ok=False)
    beta1: float = setting(0.5, 0.0, 1.0)
    beta2: float = setting(0.999, 0.0, 1.0)
    freeze_steps: int = setting(40_000, 0)  # pyramid parameters frozen for steps [0, freeze_steps)
    init_std: float = setting(0.02, 0.0, lo_ok=False)


# The translation recipes share their data fields and the reference's optimisation fields; CycleGAN's
# residual-block count sits between the two in its field order, so the shared fields are two mixins and
# the field order (that of config.json, compared on resume) is each recipe's own.
@dataclass
class _PairedImages(SharedConfig):
    """Fields of every translation recipe: which pairs, at which size, how wide the networks are."""

    kind: str = ""  # set by each recipe
    dataset: str = "streets"
    direction: str = setting("AtoB", choices=("AtoB", "BtoA"))
    load_size: int = setting(286, 4)
    crop_size: int = setting(256, 4)
    ngf: int = setting(64, 1)
    ndf: int = setting(64, 1)


@dataclass
class _ResNetBlocks:
    n_blocks: int = setting(9, 1)  # residual blocks of the ResNet generator (the reference's resnet_9blocks)


@dataclass
class _ReferenceSchedule:
    """The reference implementation's PatchGAN depth, batch, epochs, Adam and GAN loss."""

    n_layers: int = setting(3, 2)
    batch_size: int = setting(1, 1)
    n_epochs: int = setting(100, 0)  # epochs at the initial lr
    n_epochs_decay: int = setting(100, 0)  # epochs of linear decay (reference lambda_rule)
    max_iters_per_epoch: int = setting(0, 0)  # 0 = the whole dataset each epoch; > 0 caps it (CPU presets)
    lr: float = setting(2e-4, 0.0, lo_ok=False)
    beta1: float = setting(0.5, 0.0, 1.0)
    beta2: float = setting(0.999, 0.0, 1.0)
    gan_mode: str = setting("lsgan", choices=("lsgan", "bce"))  # "lsgan" (the reference's MSE) | "bce"


@dataclass
class CycleGANConfig(_ReferenceSchedule, _ResNetBlocks, _PairedImages):
    """CycleGAN (Sec. 4.3, Eq. 2-4) as the reference implements it: LSGAN, cycle 10, identity 0.5, pool 50."""

    kind: str = "cyclegan"
    lambda_cyc: float = setting(10.0, 0.0)
    lambda_identity: float = setting(0.5, 0.0)  # identity weight = lambda_identity * lambda_cyc (reference)
    pool_size: int = setting(50, 0)
    freeze_epochs: int = setting(100, 0)  # pyramid parameters frozen for epochs [0, freeze_epochs)
    init_std: float = setting(0.02, 0.0, lo_ok=False)


@dataclass
class Pix2PixConfig(_ReferenceSchedule, _PairedImages):
    """Pix2Pix [17] as the reference implements it (Table 2's paired upper bound): U-Net G, conditional
    PatchGAN D with batch norm, BCE GAN loss (the reference's ``vanilla``) + lambda_l1 * L1, D loss halved.

    One run translates one way: ``direction`` AtoB trains A -> B, BtoA trains B -> A (Table 2 reports both).
    The U-Net has log2(crop_size) levels (8 at 256 px: the reference's unet_256).
    """

    kind: str = "pix2pix"
    gan_mode: str = setting("bce", choices=("lsgan", "bce"))  # the reference pix2pix's "vanilla" (BCE)
    lambda_l1: float = setting(100.0, 0.0)  # the reference's lambda_L1
    init_std: float = setting(0.02, 0.0, lo_ok=False)


@dataclass
class SCANConfig(CycleGANConfig):
    """SCAN [22]: the CycleGAN recipe twice, progressively. Stage 1 trains a CycleGAN at crop_size / 2 for
    ``stage1_n_epochs + stage1_n_epochs_decay`` epochs; then stage 2 (full resolution, stage 1 fixed) trains
    for ``n_epochs + n_epochs_decay`` epochs, each stage with its own Adam and reference lr decay. Every other
    field is the CycleGAN one and holds for both stages. SCAN has no pyramid variant (``freeze_epochs``
    unused)."""

    kind: str = "scan"
    freeze_epochs: int = setting(0, 0)
    stage1_n_blocks: int = setting(6, 1)  # the reference's ResNet-6 for 128 px stage-1 images
    stage1_n_epochs: int = setting(100, 0)
    stage1_n_epochs_decay: int = setting(100, 0)


Config = GANConfig | CycleGANConfig | Pix2PixConfig | SCANConfig


@dataclass(frozen=True)
class RecipeSpec:
    """One training recipe: its config, its trainer, the data it trains on and how its run folders are named."""

    name: str  # the configs' ``kind`` and the CLI's recipe argument
    label: str  # how the paper and the book name the network
    config: type  # its config dataclass (the defaults are the paper's recipe)
    # "module:function" of its trainer, imported by spap_lib.training: the trainers import this module
    trainer: str
    dataset_kind: str  # its datasets' kind (spap_lib.data.registry): "synthesis" or "translation"
    run_fields: tuple[str, ...]  # config fields that tell its runs apart in a run folder's name
    book_prefix: str  # first word of its run names in the book (the CLI's is ``name``)
    notebook: str  # the notebook (notebooks/) that trains and evaluates one run in the book


RECIPE_SPECS: dict[str, RecipeSpec] = {
    r.name: r
    for r in (
        RecipeSpec(
            "gan",
            "SNDCGAN",
            GANConfig,
            "spap_lib.training.gan:train_gan",
            "synthesis",
            ("variant",),
            "sndcgan",
            "train_sndcgan.ipynb",
        ),
        RecipeSpec(
            "cyclegan",
            "CycleGAN",
            CycleGANConfig,
            "spap_lib.training.cyclegan:train_cyclegan",
            "translation",
            ("dataset", "variant"),
            "cyclegan",
            "train_cyclegan.ipynb",
        ),
        RecipeSpec(
            "pix2pix",
            "Pix2Pix",
            Pix2PixConfig,
            "spap_lib.training.pix2pix:train_pix2pix",
            "translation",
            ("dataset", "direction"),
            "pix2pix",
            "train_cyclegan.ipynb",
        ),
        RecipeSpec(
            "scan",
            "SCAN",
            SCANConfig,
            "spap_lib.training.scan:train_scan",
            "translation",
            ("dataset",),
            "scan",
            "train_cyclegan.ipynb",
        ),
    )
}
RECIPES: dict[str, type] = {name: r.config for name, r in RECIPE_SPECS.items()}
DATASET_KIND: dict[str, str] = {name: r.dataset_kind for name, r in RECIPE_SPECS.items()}
PRESET_TABLE: dict[str, dict[str, dict[str, Any]]] = {
    recipe: {name: p.training[recipe] for name, p in PRESET_SPECS.items()} for recipe in RECIPE_SPECS
}


def recipe_spec(recipe: str) -> RecipeSpec:
    """The row of ``recipe``; a one-line :class:`ConfigError` for an unknown one."""
    if recipe not in RECIPE_SPECS:
        raise ConfigError(f"unknown recipe {recipe!r}: choose one of {', '.join(RECIPE_SPECS)}")
    return RECIPE_SPECS[recipe]


def run_name(
    recipe: str,
    fields: Config | Mapping[str, Any],
    *,
    preset: str | None = None,
    seed: int | None = None,
    book: bool = False,
) -> str:
    """A run folder's name: the recipe, the values of its ``run_fields`` (from a config or a dict), then
    ``-s<seed>`` and ``-<preset>`` when given. The CLI's runs/ holds every preset, so its names end in the
    preset (``gan-spap_c2f-cpu``, ``pix2pix-maps-BtoA-cpu``); the book has one folder per preset and names
    SNDCGAN runs after the network, with the seed (``book=True``: ``sndcgan-spap_c2f-s1``, ``scan-maps``).
    The replication study's names (``<part>-<variant>-s<seed>``) are its own (:mod:`spap_lib.study.plan`)."""
    spec = recipe_spec(recipe)
    if not isinstance(fields, Mapping):
        fields = config_to_dict(fields)
    words = [spec.book_prefix if book else spec.name, *(str(fields[k]) for k in spec.run_fields)]
    if seed is not None:
        words.append(f"s{seed}")
    if preset is not None:
        words.append(preset)
    return "-".join(words)


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


def _declared() -> dict[str, Mapping[str, Any]]:
    """Every field name of every recipe with the checks it declares (:func:`setting`); a name shared by
    several recipes must declare the same checks everywhere."""
    out: dict[str, Mapping[str, Any]] = {}
    for recipe in RECIPE_SPECS.values():
        for f in dataclasses.fields(recipe.config):
            if out.setdefault(f.name, f.metadata) != f.metadata:
                raise TypeError(
                    f"field {f.name} of {recipe.config.__name__} declares other checks than before"
                )
    return out


_CHECKS = _declared()
# field: (lowest, highest, lowest allowed?, highest allowed?)
RANGES: dict[str, tuple[float, float, bool, bool]] = {
    n: m["range"] for n, m in _CHECKS.items() if "range" in m
}
CHOICES: dict[str, tuple[str, ...]] = {n: m["choices"] for n, m in _CHECKS.items() if "choices" in m}
# fields that may differ between the saved run and a resumed one (they do not change the trajectory)
RESUMABLE_FIELDS = frozenset(n for n, m in _CHECKS.items() if m.get("resumable"))


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
    config_class = recipe_spec(kind).config
    values = dict(preset_spec(preset).training[kind])
    types_ = _field_types(config_class)
    for key, value in parse_overrides(overrides).items():
        if key not in types_:
            raise ConfigError(
                f"unknown {kind} config key {key!r}: see `python -m spap_lib train {kind} --show-config`"
            )
        if key == "kind" and value != kind:
            raise ConfigError(f"kind is fixed to {kind!r} for this recipe")
        values[key] = check_type(key, value, types_[key])
    return validate(config_class(**values))


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
    """``data_root`` with its default filled in (see :class:`SharedConfig`)."""
    if config.data_root:
        return config.data_root
    if config.data_source == "synthetic":
        return "data"
    return f"data/{dataset_spec(config.dataset).real}"


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
    "RECIPE_SPECS",
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
    "recipe_spec",
    "resolved_data_root",
    "run_name",
    "validate",
]
