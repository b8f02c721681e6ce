"""Training (Sec. 4.3): SNDCGAN and CycleGAN trainers for every variant, the baselines' trainers (Pix2Pix,
SCAN; SELF-MOD is an SNDCGAN variant), typed configs with presets ("paper", "cpu", "smoke"), exact resume,
DDP, and loading trained generators for evaluation."""

import importlib
from collections.abc import Callable
from pathlib import Path

from spap_lib.training.config import (
    PRESETS,
    RECIPE_SPECS,
    Config,
    CycleGANConfig,
    GANConfig,
    Pix2PixConfig,
    SCANConfig,
    config_from_dict,
    format_config,
    make_config,
)
from spap_lib.training.cyclegan import train_cyclegan
from spap_lib.training.gan import sample, sample_attention, train_gan
from spap_lib.training.load import generators_from_states, load_config, load_generators
from spap_lib.training.pix2pix import train_pix2pix
from spap_lib.training.rundir import NonFiniteLoss
from spap_lib.training.scan import train_scan
from spap_lib.training.schedule import linear_decay_factor


def _trainer(entry: str) -> Callable[..., Path]:
    """The function a recipe row names as ``"module:function"``."""
    module, _, name = entry.partition(":")
    return getattr(importlib.import_module(module), name)


# recipe -> its trainer, from the recipe table (spap_lib.training.config.RECIPE_SPECS)
TRAINERS: dict[str, Callable[..., Path]] = {name: _trainer(r.trainer) for name, r in RECIPE_SPECS.items()}


def train(config: Config, run_dir: str | Path, **kwargs) -> Path:
    """Dispatch to the trainer of the config's kind (:data:`TRAINERS`)."""
    return TRAINERS[config.kind](config, run_dir, **kwargs)


__all__ = [
    "PRESETS",
    "CycleGANConfig",
    "GANConfig",
    "NonFiniteLoss",
    "Pix2PixConfig",
    "SCANConfig",
    "TRAINERS",
    "config_from_dict",
    "format_config",
    "generators_from_states",
    "linear_decay_factor",
    "load_config",
    "load_generators",
    "make_config",
    "sample",
    "sample_attention",
    "train",
    "train_cyclegan",
    "train_gan",
    "train_pix2pix",
    "train_scan",
]
