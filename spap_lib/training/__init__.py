"""Training (Sec. 4.3): SNDCGAN and CycleGAN trainers for every variant, typed configs with presets
("paper", "cpu", "smoke"), exact resume, DDP, and loading trained generators for evaluation."""

from spap_lib.training.config import (
    PRESETS,
    CycleGANConfig,
    GANConfig,
    config_from_dict,
    format_config,
    make_config,
)
from spap_lib.training.cyclegan import train_cyclegan
from spap_lib.training.gan import sample, train_gan
from spap_lib.training.load import load_config, load_generators
from spap_lib.training.rundir import NonFiniteLoss
from spap_lib.training.schedule import linear_decay_factor


def train(config: GANConfig | CycleGANConfig, run_dir: str, **kwargs):
    """Dispatch to :func:`train_gan` or :func:`train_cyclegan` by the config's kind."""
    fn = train_gan if config.kind == "gan" else train_cyclegan
    return fn(config, run_dir, **kwargs)


__all__ = [
    "PRESETS",
    "CycleGANConfig",
    "GANConfig",
    "NonFiniteLoss",
    "config_from_dict",
    "format_config",
    "linear_decay_factor",
    "load_config",
    "load_generators",
    "make_config",
    "sample",
    "train",
    "train_cyclegan",
    "train_gan",
]
