"""Load a finished (or interrupted) run's generators for evaluation: ``load_generators(run_dir)`` from its
checkpoint, ``generators_from_states(config, states, source)`` from any saved weights (an archived copy)."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from spap_lib.errors import DataError
from spap_lib.io import read_json_checked
from spap_lib.models import build_sndcgan
from spap_lib.training.config import Config, CycleGANConfig, Pix2PixConfig, SCANConfig, config_from_dict
from spap_lib.training.cyclegan import build_networks
from spap_lib.training.pix2pix import build_networks as build_pix2pix_networks
from spap_lib.training.rundir import CHECKPOINT, load_checkpoint
from spap_lib.training.scan import build_networks as build_scan_networks
from spap_lib.training.scan import stacked_generators


def load_config(run_dir: str | Path):
    """The config a run folder was trained with (config.json)."""
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise DataError(f"{path} not found: train first (python -m spap_lib train ...) or fix the path")
    saved = read_json_checked(path, dict, "restore it, or train the run again (python -m spap_lib train ...)")
    return config_from_dict(saved)


def _scan_state(ckpt: dict, direction: str) -> dict[str, torch.Tensor]:
    """A stacked SCAN generator's state from the checkpoint's stage-1 and stage-2 networks."""
    state = {f"stage1.{k}": v for k, v in ckpt[f"G1_{direction}"].items()}
    state.update({f"stage2.{k}": v for k, v in ckpt[f"G2_{direction}"].items()})
    return state


def load_generators(run_dir: str | Path, device: str = "cpu") -> dict[str, nn.Module]:
    """Generators of a run in eval mode: {"G"} for the GAN and for Pix2Pix (its direction's A -> B),
    {"G_AB", "G_BA"} for CycleGAN and SCAN (each SCAN one both stages stacked, :class:`SCANGenerator`).

    Weights come from ``checkpoints/last.pt`` (``weights_only=True``); the GAN generator gets a ``z_dist``
    attribute so :func:`spap_lib.training.sample` draws z as in training. Pix2Pix's paper protocol runs G in
    train mode at test time (:mod:`spap_lib.models.pix2pix`): call ``.train()`` for it.
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir)
    ckpt_path = run_dir / CHECKPOINT
    if not ckpt_path.exists():
        raise DataError(f"{ckpt_path} not found: the run has no checkpoint yet; train it first")
    ckpt = load_checkpoint(ckpt_path)
    if isinstance(config, SCANConfig):  # both stages of a direction, stacked (a misfit is reported below)
        ckpt = {
            n: _scan_state(ckpt, n[2:])
            for n in ("G_AB", "G_BA")
            if {f"G1_{n[2:]}", f"G2_{n[2:]}"} <= set(ckpt)
        }
    return generators_from_states(
        config, ckpt, ckpt_path, f"the {{name}} that {run_dir / 'config.json'} describes", device
    )


def generators_from_states(
    config: Config, states: dict, source: Path, describes: str = "its config's {name}", device: str = "cpu"
) -> dict[str, nn.Module]:
    """The generators ``config`` describes (as :func:`load_generators` names them) with the weights of
    ``states`` ({name: state dict}, e.g. a checkpoint or an archived fp16 copy, cast to fp32), in eval mode.

    ``source`` names the file the states came from in the error a misfit raises."""
    if isinstance(config, SCANConfig):  # before CycleGANConfig: a SCANConfig is one
        out: dict[str, nn.Module] = dict(stacked_generators(build_scan_networks(config)))
    elif isinstance(config, CycleGANConfig):
        nets = build_networks(config)
        out = {name: nets[name] for name in ("G_AB", "G_BA")}
    elif isinstance(config, Pix2PixConfig):
        out = {"G": build_pix2pix_networks(config)["G"]}
    else:
        G, _ = build_sndcgan(config.variant, config.image_size, config.width, config.z_dim)
        G.z_dist = config.z_dist
        out = {"G": G}
    for name, net in out.items():
        try:
            state = states[name]
            net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        except (RuntimeError, KeyError, AttributeError) as exc:
            first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else repr(exc)
            raise DataError(
                f"{source} does not fit {describes.replace('{name}', name)} ({first}): "
                "it was written by another version of the code or config; train the run again"
            ) from exc
        net.to(device).eval()
    return out
