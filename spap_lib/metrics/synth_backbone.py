"""The offline stand-in feature network for Fréchet distances: its metric is "FD-synth", never FID.

Our machines and CI cannot download the Inception weights, so the Fréchet distance (Sec. 4.2, Table 1)
is computed there on the features of a small CNN that we train once, deterministically, on the
synthetic default data -- as domain-specific FIDs do for MNIST. Numbers from it are not comparable
with the paper's FID and carry the names "FD-synth" / "KD-synth" everywhere.

Task (a choice): classify (source domain x rotation). The domains are the images of every synthetic
default set (faces; streets photo/labels; maps aerial/map; facades photo/labels = 7 domains), each image
randomly flipped left-right then rotated by k*90 degrees; the label is domain*4 + k (28 classes).
The domain part makes features separate image families, and the rotation part (Gidaris et al. 2018)
forces them to encode the spatial layout inside an image (eyes above mouth, sky above road), which is
what a generator gets wrong. Features: the 64-d embedding before the classifier (a small D keeps the
covariance estimate sane with the ~1-2k samples a CPU run produces).

Network: 4x4/2 conv (w), 3x3 (w), 4x4/2 (2w), 3x3 (2w), 4x4/2 (4w), 4x4/2 (8w), BatchNorm + ReLU after
each, global average pool, linear to 64 (the features), ReLU, linear to 28. Input: 64x64 RGB,
x/127.5 - 1. Small on purpose: it must train in a few CPU minutes.

Determinism: seeded init, a seeded ``torch.Generator`` for batches/augmentations, a fixed thread count
during training (recorded in the config); cached weights under ``<root>/backbones/synth-v1/`` with
``config.json`` (training config, data parameters, final accuracy, weights' SHA-256).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from spap_lib.data.registry import DATASETS
from spap_lib.errors import ConfigError, DataError
from spap_lib.io import atomic_save, compute_once, file_sha256, read_json_checked, write_json

SYNTH_VERSION = "synth-v1"
DEFAULT_DATASETS = tuple(DATASETS)  # every synthetic stand-in of the registry


@dataclass(frozen=True)
class SynthBackboneConfig:
    """Training recipe of the stand-in backbone (the defaults are the cached ``synth-v1``)."""

    size: int = 64
    width: int = 16
    feature_dim: int = 64
    steps: int = 300
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    threads: int = 2
    data_n: int = 2000
    data_seed: int = 0
    datasets: tuple[str, ...] = field(default=DEFAULT_DATASETS)


class SynthFeatureNet(nn.Module):
    """Small CNN: ``features(x)`` gives (B, feature_dim) for x in [0, 255], ``forward`` the logits."""

    def __init__(self, num_classes: int, width: int = 32, feature_dim: int = 64) -> None:
        super().__init__()
        w = width  # (kernel, stride, channels); 64 px -> 32, 32, 16, 16, 8, 4
        spec = ((4, 2, w), (3, 1, w), (4, 2, 2 * w), (3, 1, 2 * w), (4, 2, 4 * w), (4, 2, 8 * w))
        layers: list[nn.Module] = []
        c_in = 3
        for k, s, c in spec:
            layers += [nn.Conv2d(c_in, c, k, s, padding=1), nn.BatchNorm2d(c), nn.ReLU(True)]
            c_in = c
        self.body = nn.Sequential(*layers)
        self.embed = nn.Linear(c_in, feature_dim)
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) float in [0, 255] -> (B, feature_dim) embedding."""
        h = self.body(x / 127.5 - 1.0)
        return self.embed(h.mean(dim=(2, 3)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.relu(self.features(x)))


def _augment(x: torch.Tensor, flip: torch.Tensor, rot: torch.Tensor) -> torch.Tensor:  # x (B,3,S,S)
    out = torch.where(flip[:, None, None, None], x.flip(-1), x)
    return torch.stack([torch.rot90(img, int(k), dims=(1, 2)) for img, k in zip(out, rot)])


def train_synth_backbone(
    domains: Mapping[str, np.ndarray], config: SynthBackboneConfig = SynthBackboneConfig()
) -> tuple[SynthFeatureNet, dict]:
    """Train the stand-in on ``{domain name: uint8 (N, S, S, 3) images}``; returns (net, log).

    Bit-for-bit reproducible on the CPU for equal inputs and config (seeded init and sampling,
    ``config.threads`` threads during training).
    """
    names = sorted(domains)
    if len(names) < 1:
        raise ConfigError("train_synth_backbone needs at least one domain of images")
    arrays = []
    for name in names:
        a = np.asarray(domains[name])
        if a.dtype != np.uint8 or a.ndim != 4 or a.shape[1:] != (config.size, config.size, 3):
            raise DataError(
                f"domain {name!r}: expected uint8 images (N, {config.size}, {config.size}, 3), "
                f"got {a.dtype} {a.shape}: resize the images to config.size"
            )
        if len(a) == 0:
            raise DataError(f"domain {name!r} has no images")
        arrays.append(torch.from_numpy(a).permute(0, 3, 1, 2).float())
    old_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        torch.manual_seed(config.seed)
        net = SynthFeatureNet(4 * len(names), config.width, config.feature_dim)
        opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, config.steps))
        g = torch.Generator().manual_seed(config.seed)
        net.train()
        losses, accs = [], []
        t0 = time.perf_counter()
        for _ in range(config.steps):
            dom = torch.randint(len(names), (config.batch_size,), generator=g)
            idx = [int(torch.randint(len(arrays[d]), (1,), generator=g)) for d in dom.tolist()]
            x = torch.stack([arrays[d][i] for d, i in zip(dom.tolist(), idx)])
            flip = torch.rand(config.batch_size, generator=g) < 0.5
            rot = torch.randint(4, (config.batch_size,), generator=g)
            y = dom * 4 + rot
            logits = net(_augment(x, flip, rot))
            loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            accs.append(float((logits.argmax(1) == y).float().mean()))
    finally:
        torch.set_num_threads(old_threads)
    tail = max(1, len(losses) // 10)
    log = {
        "classes": [f"{n}/rot{k * 90}" for n in names for k in range(4)],
        "domains": {n: int(len(a)) for n, a in zip(names, arrays)},
        "final_loss": float(np.mean(losses[-tail:])) if losses else None,
        "final_train_acc": float(np.mean(accs[-tail:])) if accs else None,
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    net.eval()
    return net, log


def default_domains(root: str | Path, config: SynthBackboneConfig) -> dict[str, np.ndarray]:
    """The training images of every synthetic default set, split into domains (A and B halves)."""
    from spap_lib.data import FaceDataset, PairedDataset, synthesize
    from spap_lib.metrics.image_quality import to_uint8

    out: dict[str, np.ndarray] = {}
    for name in config.datasets:
        folder = synthesize(name, root, size=config.size, n=config.data_n, seed=config.data_seed)
        if name == "faces":
            ds = FaceDataset(folder, split="train", size=config.size)
            out["faces"] = np.stack([to_uint8(ds[i]) for i in range(len(ds))])
        else:
            ds = PairedDataset(folder, phase="train", direction="AtoB", size=config.size)
            items = [ds[i] for i in range(len(ds))]
            out[f"{name}_A"] = np.stack([to_uint8(it["A"]) for it in items])
            out[f"{name}_B"] = np.stack([to_uint8(it["B"]) for it in items])
    return out


def synth_backbone_dir(root: str | Path = "data") -> Path:
    """Cache folder of the stand-in backbone: ``<root>/backbones/synth-v1``."""
    return Path(root) / "backbones" / SYNTH_VERSION


def _config_dict(config: SynthBackboneConfig) -> dict:
    d = asdict(config)
    d["datasets"] = list(config.datasets)
    return d


def load_synth_backbone(
    root: str | Path = "data",
    config: SynthBackboneConfig = SynthBackboneConfig(),
    train_if_missing: bool = True,
    verbose: bool = True,
) -> tuple[SynthFeatureNet, dict]:
    """Load the cached stand-in (training and caching it first if needed); returns (net, info).

    ``info`` is the cached ``config.json``: the training config, the data parameters, the training
    log and ``sha256`` of the weights file. A cache made with another config is retrained.
    """
    folder = synth_backbone_dir(root)
    if not train_if_missing:
        cached = _load_cached(folder, config)
        if cached is None:
            raise DataError(
                f"no stand-in backbone cached at {folder}: run `python -m spap_lib metrics backbone-train`"
            )
        return cached
    # Two runs starting side by side (the book runs notebooks two at a time) would both train it: the second
    # waits instead, then loads what the first cached.
    return compute_once(
        folder, lambda: _load_cached(folder, config), lambda: _train_and_cache(root, folder, config, verbose)
    )


def _load_cached(folder: Path, config: SynthBackboneConfig) -> tuple[SynthFeatureNet, dict] | None:
    """The cached backbone if ``folder`` holds one trained with ``config``, else None."""
    weights, cfg_file = folder / "weights.pt", folder / "config.json"
    if not (weights.is_file() and cfg_file.is_file()):
        return None
    rebuild = (
        f"delete {folder} and run `python -m spap_lib metrics backbone-train --root {folder.parent.parent}`"
    )
    info = read_json_checked(cfg_file, dict, rebuild, keys=("config", "train"))
    if info.get("config") != _config_dict(config):
        return None
    classes = info["train"].get("classes") if isinstance(info["train"], dict) else None
    if not isinstance(classes, list) or not classes:
        raise DataError(f"{cfg_file} lacks the list of training classes (truncated or edited): {rebuild}")
    net = SynthFeatureNet(len(classes), config.width, config.feature_dim)
    try:
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    except Exception as exc:  # truncated, foreign or another network's weights
        raise DataError(f"cannot load {weights} ({exc.__class__.__name__}): {rebuild}") from None
    info["sha256"] = file_sha256(weights)
    return net.eval(), info


def _train_and_cache(
    root: str | Path, folder: Path, config: SynthBackboneConfig, verbose: bool
) -> tuple[SynthFeatureNet, dict]:
    weights, cfg_file = folder / "weights.pt", folder / "config.json"
    if verbose:
        print(f"training the FD-synth stand-in backbone once ({config.steps} steps) -> {folder}")
    net, log = train_synth_backbone(default_domains(root, config), config)
    atomic_save(net.state_dict(), weights)
    info = {
        "name": SYNTH_VERSION,
        "metric": "FD-synth",
        "config": _config_dict(config),
        "train": log,
        "torch": torch.__version__,
        "sha256": file_sha256(weights),
    }
    write_json(cfg_file, info, sort_keys=True)
    return net, info
