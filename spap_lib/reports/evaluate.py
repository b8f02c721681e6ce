"""Evaluate finished runs and write ``metrics.json`` into their folders (Sec. 4.2; Tables 1-3).

* SNDCGAN runs (Table 1): Fréchet distance between generated images and the *training* images of the face
  data. Which split the paper compares against is not stated; with the small stand-in datasets the training
  split (90% of the images) gives far less estimator bias than the 10% test split. The metric's name comes
  from the backbone: "FID" only with the Inception network, "FD-synth" with our offline stand-in.
* CycleGAN runs (Tables 2-3): on the paired test split, G_AB translates A -> B and G_BA translates B -> A.
  Streets/Cityscapes (pix2pix layout: A = photo, B = labels): photo->labels is scored by nearest-palette
  colour against the ground truth, labels->photo by our segmenter run on the translated photo (FCN score).
  Maps (A = aerial, B = map) and facades (A = photo, B = labels): PSNR/SSIM against the paired ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from spap_lib.data import CITYSCAPES_PALETTE, FaceDataset, PairedDataset, synthesize
from spap_lib.data.registry import dataset_spec
from spap_lib.errors import ConfigError
from spap_lib.io import write_json
from spap_lib.metrics import (
    colors_to_ids_exact,
    fd_from_features,
    image_features,
    image_quality,
    load_segmenter,
    reference_stats,
    score_labels_to_photo,
    score_photo_to_labels,
    select_backbone,
    to_uint8,
)
from spap_lib.metrics.segmenter import SegmenterConfig
from spap_lib.metrics.segmenter import preset as segmenter_preset
from spap_lib.models import count_parameters
from spap_lib.training import load_config, load_generators, sample
from spap_lib.training.config import RECIPE_SPECS, resolved_data_root
from spap_lib.training.presets import PRESET_SPECS, FIDProtocol, preset_spec

METRICS_FILE = "metrics.json"


def write_metrics(run_dir: str | Path, metrics: dict) -> Path:
    """Write ``metrics.json`` atomically (the metrics package's atomic JSON writer)."""
    return write_json(Path(run_dir) / METRICS_FILE, metrics, sort_keys=True)


def read_metrics(run_dir: str | Path) -> dict:
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        raise ConfigError(f"{path} not found: evaluate the run first (its train notebook does)")
    return json.loads(path.read_text())


def dataset_folder(config, data_root: str | Path) -> Path:
    """The folder a run trained on: the synthetic cache entry, or the real dataset's root."""
    if config.data_source != "synthetic":
        return Path(resolved_data_root(config))
    if config.kind == "gan":
        return synthesize("faces", data_root, size=config.image_size, n=config.data_n, seed=config.data_seed)
    return synthesize(
        config.dataset, data_root, size=config.load_size, n=config.data_n, seed=config.data_seed
    )


# Table 1's scoring per preset: the FIDProtocol of each preset's row (why each is what it is: the presets
# module's docstring).
FID_PROTOCOLS: dict[str, FIDProtocol] = {name: p.fid for name, p in PRESET_SPECS.items()}


def fid_protocol(preset: str) -> FIDProtocol:
    """How ``preset`` scores Table 1 (backbone, images on each side); a one-line error for an unknown one."""
    return preset_spec(preset).fid


def generated_features(G: torch.nn.Module, n: int, backbone, seed: int) -> np.ndarray:
    """Backbone features of ``n`` images of ``G`` (its own z distribution, drawn from ``seed``), rounded to
    uint8 as saved images would be, in memory."""
    return image_features(to_uint8(sample(G, n, seed=seed)), backbone)


def fd_scores(feats: np.ndarray, ref, backbone) -> dict:
    """Fréchet and kernel distance of generated features to reference statistics, each value beside the
    metric's name (FID/KID only with the Inception network), the image counts and the backbone."""
    res = fd_from_features(feats, ref, backbone)
    return {
        "metric": res.metric,
        "value": res.value,
        "kernel_metric": res.kernel_metric,
        "kernel_value": res.kernel_value,
        "n_generated": res.n,
        "n_reference": res.n_ref,
        **backbone.describe(),
    }


def evaluate_gan(
    run_dir: str | Path,
    data_root: str | Path = "data",
    backbone: str = "auto",
    n_images: int | None = None,
    seed: int = 2024,
    n_reference: int | None = None,
) -> dict:
    """Fréchet distance of a trained SNDCGAN against the training faces; writes ``metrics.json``.

    ``n_images`` generated images (default: as many as reference images) are drawn with the run's own z
    distribution and passed to the backbone in memory -- no files are written. ``n_reference``: the first
    that many training images (default: all). ``metrics.json`` records the backbone, its weights' SHA-256,
    the resize and the number of images on each side next to the value.
    """
    config = load_config(run_dir)
    if config.kind != "gan":
        raise ConfigError(f"{run_dir} is a {config.kind} run: use evaluate_translation")
    folder = dataset_folder(config, data_root)
    bb = select_backbone(backbone, root=data_root)
    files = FaceDataset(folder, split="train").paths
    name = folder.name
    if n_reference is not None and n_reference < len(files):
        files, name = files[:n_reference], f"{name}-first{n_reference}"
    ref = reference_stats(bb, name, "train", config.image_size, files=files, root=data_root)
    G = load_generators(run_dir)["G"]
    feats = generated_features(G, n_images or len(files), bb, seed)
    metrics = {
        "kind": "gan",
        "variant": config.variant,
        "seed": config.seed,
        **fd_scores(feats, ref, bb),
        "reference": ref.label,
        "params_G": count_parameters(G),
    }
    write_metrics(run_dir, metrics)
    return metrics


def segmenter_config(dataset: str, preset: str, size: int) -> SegmenterConfig:
    """The segmenter recipe for a run preset (its row's ``segmenter``): a CPU-sized one for synthetic streets,
    the GPU one for Cityscapes."""
    spec = preset_spec(preset)
    return segmenter_preset(spec.segmenter, size=size, **spec.segmenter_overrides)


def segmenter_for(dataset: str, preset: str, size: int, folder: Path, data_root: str | Path):
    """Load (training and caching on first use) the segmenter that scores ``dataset`` at ``size``."""
    config = segmenter_config(dataset, preset, size)
    name = f"{dataset}-{folder.name}-{preset}"
    return load_segmenter(data_root, name=name, config=config, train_folder=folder / "train", verbose=False)


def paired_test_set(folder: Path, size: int, limit: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    ds = PairedDataset(folder, phase="test", direction="AtoB", size=size)
    n = len(ds) if limit is None else min(limit, len(ds))
    items = [ds[i] for i in range(n)]
    return torch.stack([it["A"] for it in items]), torch.stack([it["B"] for it in items])


@torch.no_grad()
def translate(G: torch.nn.Module, images: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
    return torch.cat([G(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


# the recipes that train on translation pairs (Tables 2-3)
TRANSLATION_RECIPES = tuple(name for name, r in RECIPE_SPECS.items() if r.dataset_kind == "translation")


def translation_generators(run_dir: str | Path, config) -> dict[str, torch.nn.Module]:
    """{"G_AB", "G_BA"} of a CycleGAN or SCAN run; a Pix2Pix run translates one way: {"G_AB"} or {"G_BA"}."""
    gens = load_generators(run_dir)
    if config.kind == "pix2pix":
        return {"G_AB" if config.direction == "AtoB" else "G_BA": gens["G"]}
    return gens


def evaluate_translation(
    run_dir: str | Path,
    data_root: str | Path = "data",
    preset: str = "cpu",
    n_pairs: int | None = None,
) -> dict:
    """FCN scores (streets/Cityscapes) or PSNR/SSIM (maps, facades) of every direction a translation run
    (CycleGAN, SCAN: both; Pix2Pix: its own) serves, on the paired test split; writes metrics.json."""
    config = load_config(run_dir)
    if config.kind not in TRANSLATION_RECIPES:
        raise ConfigError(f"{run_dir} is a {config.kind} run: use evaluate_gan")
    spec = dataset_spec(config.dataset, "translation")
    folder = dataset_folder(config, data_root)
    gens = translation_generators(run_dir, config)
    A, B = paired_test_set(folder, config.crop_size, n_pairs)
    fake = translated(gens, A, B)
    segment = None
    if spec.needs_segmenter and spec.directions["labels_to_photo"] in fake:
        segment = segmenter_for(config.dataset, preset, config.crop_size, folder, data_root).predict
    metrics: dict = {
        "kind": config.kind,
        "variant": config.variant,
        "dataset": config.dataset,
        "seed": config.seed,
        "n_pairs": len(A),
        "params_G": count_parameters(next(iter(gens.values()))),
        "directions": direction_scores(config.dataset, fake, to_uint8(A), to_uint8(B), segment),
    }
    if config.kind == "pix2pix":
        metrics["direction"] = config.direction
    write_metrics(run_dir, metrics)
    return metrics


def translated(gens: dict[str, torch.nn.Module], A: torch.Tensor, B: torch.Tensor) -> dict[str, np.ndarray]:
    """Each generator's translations as uint8 images: ``G_AB`` of the A images, ``G_BA`` of the B images."""
    source = {"G_AB": A, "G_BA": B}
    return {name: to_uint8(translate(G, source[name])) for name, G in gens.items()}


def direction_scores(
    dataset: str,
    fake: dict[str, np.ndarray],
    real_a: np.ndarray,
    real_b: np.ndarray,
    segment=None,
) -> dict[str, dict]:
    """Table 2/3 scores of every direction of ``dataset`` (its registry entry's ``directions``) whose generator
    is in ``fake``: FCN scores for streets/Cityscapes (labels_to_photo needs ``segment``, the segmenter's
    predict), PSNR/SSIM against the paired ground truth for the others."""
    spec = dataset_spec(dataset, "translation")
    scores = {}
    for direction, gen_name in spec.directions.items():
        if gen_name not in fake:
            continue
        if spec.needs_segmenter:
            scores[direction] = fcn_score(direction, fake[gen_name], real_b, segment)
        else:
            target = real_b if gen_name == "G_AB" else real_a
            scores[direction] = image_quality(zip(fake[gen_name], target))
    return scores


def fcn_score(direction: str, generated: np.ndarray, labels: np.ndarray, segment=None) -> dict:
    """Table 2's FCN scores of one streets direction against the true colour label maps: photo_to_labels
    reads the generated label map's colours, labels_to_photo segments the generated photo with ``segment``."""
    if direction == "photo_to_labels":
        return score_photo_to_labels(zip(generated, labels), CITYSCAPES_PALETTE).as_dict()
    if direction != "labels_to_photo" or segment is None:
        raise ConfigError(f"no FCN score for direction {direction!r} (labels_to_photo needs a segmenter)")
    return score_labels_to_photo(zip(generated, labels), segment, CITYSCAPES_PALETTE).as_dict()


def evaluate_segmenter(
    dataset: str,
    preset: str,
    size: int,
    folder: Path,
    data_root: str | Path,
    n_pairs: int | None = None,
) -> dict:
    """The segmenter on *real* test photos: the upper bound an ideal labels->photo translation would reach."""
    seg = segmenter_for(dataset, preset, size, folder, data_root)
    A, B = paired_test_set(folder, size, n_pairs)
    photos, labels = to_uint8(A), to_uint8(B)
    scores = score_labels_to_photo(zip(photos, labels), seg.predict, CITYSCAPES_PALETTE)
    coverage = np.mean([(colors_to_ids_exact(lb, CITYSCAPES_PALETTE) != 255).mean() for lb in labels])
    return {
        "scores": scores.as_dict(),
        "n_pairs": len(A),
        "labelled_fraction": float(coverage),
        "segmenter": seg.info.get("config", {}),
    }
