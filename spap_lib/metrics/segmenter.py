"""Our own segmentation network for the labels->photo FCN score (Table 2, Sec. 4.2).

pix2pix scores translated Cityscapes photos with a pretrained FCN-8s (caffe); we cannot ship that, so
we train a small fully-convolutional segmenter ourselves on the *training* photos of the dataset and
use it, frozen, to segment translated test photos (``fcn.score_labels_to_photo``). Numbers are
therefore comparable between our variants, not with the paper's absolute FCN scores.

Network (U-Net-like FCN, a choice): conv4x4/2 w -> conv4x4/2 2w -> two dilated 3x3 convs (rates 2, 4)
for context -> upsample x2, concat the 1/2 map, conv3x3 w -> 1x1 conv to 19 classes -> bilinear
upsampling to the input size (output stride 2; pix2pix's FCN-8s has 8); BatchNorm + ReLU
(GroupNorm with few channels per group acts like instance norm and erases the colour cues).
Input x/127.5 - 1; loss: cross-entropy ignoring 255. Small on purpose: CPU minutes, not hours.

Recipes (``PRESETS``): ``"synth"`` -- synthetic streets at 64 px on the CPU (the offline default,
cached under ``<root>/segmenters/synth-streets``); ``"cityscapes"`` -- real Cityscapes photos at 256 px on a
GPU (pix2pix's ``cityscapes`` A|B folders; JPEG label colours matched with a tolerance).
Deterministic: seeded init and sampling, fixed CPU threads; bit-for-bit on the CPU only.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from spap_lib.errors import ConfigError, DataError
from spap_lib.io import atomic_save, check_name, file_sha256, read_json_checked, write_json
from spap_lib.metrics.fcn import IGNORE_INDEX, colors_to_ids_exact


@dataclass(frozen=True)
class SegmenterConfig:
    """Training recipe of the segmenter."""

    size: int = 64
    width: int = 16
    num_classes: int = 19
    steps: int = 400
    batch_size: int = 8
    lr: float = 5e-3
    weight_decay: float = 1e-4
    flip: bool = True
    seed: int = 0
    threads: int = 2
    device: str = "cpu"
    label_tolerance: int = 0  # colour tolerance when reading ground-truth label images


PRESETS: dict[str, SegmenterConfig] = {
    "synth": SegmenterConfig(),
    "cityscapes": SegmenterConfig(
        size=256, width=64, steps=20000, batch_size=16, lr=1e-3, device="cuda", label_tolerance=12
    ),
}


def _block(c_in: int, c_out: int, k: int = 3, s: int = 1, d: int = 1) -> nn.Sequential:
    pad = d * (k - 1) // 2 if s == 1 else 1
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, s, padding=pad, dilation=d),
        nn.BatchNorm2d(c_out),
        nn.ReLU(True),
    )


class SegmenterNet(nn.Module):
    """Small U-Net-like FCN; ``forward`` maps (B, 3, S, S) in [0, 255] to (B, classes, S, S) logits."""

    def __init__(self, num_classes: int = 19, width: int = 32) -> None:
        super().__init__()
        w = width
        self.stem = _block(3, w, 4, 2)  # 1/2
        self.down = _block(w, 2 * w, 4, 2)  # 1/4
        self.context = nn.Sequential(_block(2 * w, 2 * w, d=2), _block(2 * w, 2 * w, d=4))
        self.up = _block(2 * w + w, w)  # 1/2, with the stem's skip connection
        self.out = nn.Conv2d(w, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ConfigError(f"segmenter input size must be divisible by 4, got {tuple(x.shape)}")
        x1 = self.stem(x / 127.5 - 1.0)
        h = self.context(self.down(x1))
        h = self.up(torch.cat([F.interpolate(h, scale_factor=2.0, mode="bilinear"), x1], 1))
        return F.interpolate(self.out(h), size=x.shape[-2:], mode="bilinear")


# Label pixels whose colour is in no palette entry are ignored (void); more than this share in one label
# image means it is not a label map of this palette (a photo, another dataset's colours): refused.
MAX_UNLABELLED = 0.5


def load_aligned_pairs(
    folder: str | Path, palette: np.ndarray, size: int, tolerance: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Photos (N,S,S,3 uint8) and label ids (N,S,S int64) from aligned A|B images (A photo, B labels).

    Photos are resized with PIL bicubic, label images with nearest neighbour (no new colours).
    """
    folder = Path(folder)
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not files:
        raise DataError(f"no A|B images in {folder}: generate or download the dataset first")
    from spap_lib.data.images import load_rgb

    photos, ids = [], []
    for f in files:
        img = load_rgb(f)  # a corrupt or truncated file: one line naming it
        w, h = img.size
        if w != 2 * h:
            raise DataError(f"{f} is {w}x{h}, not an aligned A|B pair (width = 2 x height)")
        a = img.crop((0, 0, h, h)).resize((size, size), Image.BICUBIC)
        b = img.crop((h, 0, w, h)).resize((size, size), Image.NEAREST)
        photos.append(np.asarray(a, dtype=np.uint8))
        label = colors_to_ids_exact(np.asarray(b), palette, tolerance)
        unmatched = float((label == IGNORE_INDEX).mean())
        if unmatched > MAX_UNLABELLED:
            raise DataError(
                f"{f}: {unmatched:.0%} of its label half (right) has colours outside the label palette "
                f"(at most {MAX_UNLABELLED:.0%} allowed): pass a folder of A|B pairs whose B half is a "
                "Cityscapes-palette label map"
            )
        ids.append(label)
    return np.stack(photos), np.stack(ids)


def train_segmenter(
    photos: np.ndarray, labels: np.ndarray, config: SegmenterConfig = PRESETS["synth"]
) -> tuple[SegmenterNet, dict]:
    """Train on uint8 photos (N,S,S,3) and int label ids (N,S,S; 255 = ignore); returns (net, log)."""
    photos, labels = np.asarray(photos), np.asarray(labels)
    if photos.dtype != np.uint8 or photos.ndim != 4 or labels.shape != photos.shape[:3]:
        raise DataError(
            f"expected uint8 photos (N,S,S,3) and labels (N,S,S), got {photos.dtype} "
            f"{photos.shape} and {labels.shape}"
        )
    if len(photos) == 0:
        raise DataError("no training photos for the segmenter")
    device = torch.device(config.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("segmenter config asks for CUDA but no GPU is available: set device='cpu'")
    x_all = torch.from_numpy(photos).permute(0, 3, 1, 2).float()
    y_all = torch.from_numpy(labels.astype(np.int64))
    old_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        torch.manual_seed(config.seed)
        net = SegmenterNet(config.num_classes, config.width).to(device)
        opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, config.steps))
        g = torch.Generator().manual_seed(config.seed)
        net.train()
        losses, accs = [], []
        t0 = time.perf_counter()
        for _ in range(config.steps):
            idx = torch.randint(len(x_all), (config.batch_size,), generator=g)
            x, y = x_all[idx], y_all[idx]
            if config.flip:
                flip = torch.rand(config.batch_size, generator=g) < 0.5
                x = torch.where(flip[:, None, None, None], x.flip(-1), x)
                y = torch.where(flip[:, None, None], y.flip(-1), y)
            x, y = x.to(device), y.to(device)
            logits = net(x)
            loss = F.cross_entropy(logits, y, ignore_index=IGNORE_INDEX)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            valid = y != IGNORE_INDEX
            accs.append(float((logits.argmax(1)[valid] == y[valid]).float().mean()))
    finally:
        torch.set_num_threads(old_threads)
    if not all(np.isfinite(losses)):
        raise DataError(
            f"the segmenter's loss became non-finite ({losses[-1]}): nothing was cached; lower lr or check "
            "the training pairs"
        )
    tail = max(1, len(losses) // 10)
    log = {
        "final_loss": float(np.mean(losses[-tail:])),
        "final_train_pixel_acc": float(np.mean(accs[-tail:])),
        "train_images": int(len(photos)),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    return net.cpu().eval(), log


class Segmenter:
    """A trained segmenter: ``predict(photo)`` -> (H, W) int64 trainIds for a uint8 (H, W, 3) photo.

    Photos of another size are resized (bicubic) to the training size and the logits back to (H, W).
    """

    def __init__(self, net: SegmenterNet, size: int, info: dict | None = None) -> None:
        self.net = net.eval()
        self.size = size
        self.info = info or {}

    def predict(self, photo: np.ndarray) -> np.ndarray:
        photo = np.asarray(photo)
        if photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[-1] != 3:
            raise ConfigError(f"segmenter takes uint8 (H, W, 3) photos, got {photo.dtype} {photo.shape}")
        h, w = photo.shape[:2]
        img = photo
        if (h, w) != (self.size, self.size):
            img = np.asarray(Image.fromarray(photo).resize((self.size, self.size), Image.BICUBIC))
        x = torch.from_numpy(img.copy()).permute(2, 0, 1)[None].float()
        with torch.no_grad():
            logits = self.net(x)
            if (h, w) != (self.size, self.size):
                logits = F.interpolate(logits, size=(h, w), mode="bilinear")
        return logits.argmax(1)[0].numpy().astype(np.int64)

    __call__ = predict


def segmenter_dir(root: str | Path, name: str) -> Path:
    """Cache folder ``<root>/segmenters/<name>`` (``name`` one path component)."""
    return Path(root) / "segmenters" / check_name("segmenter", name)


def load_segmenter(
    root: str | Path = "data",
    name: str = "synth-streets",
    config: SegmenterConfig | None = None,
    train_folder: str | Path | None = None,
    train_if_missing: bool = True,
    verbose: bool = True,
) -> Segmenter:
    """Load the cached segmenter ``name`` (training and caching it first if missing or stale).

    ``train_folder`` holds the aligned A|B training pairs; by default (name "synth-streets") the
    synthetic streets default set ``synthesize("streets", root)``'s ``train/``.
    """
    from spap_lib.data.palettes import CITYSCAPES_PALETTE

    config = config or PRESETS["synth"]
    folder = segmenter_dir(root, name)
    weights, cfg_file = folder / "weights.pt", folder / "config.json"
    cfg = asdict(config)
    rebuild = (
        f"delete {folder} and train it again (python -m spap_lib metrics segmenter-train --root {root} "
        f"--name {name})"
    )
    if weights.is_file() and cfg_file.is_file():
        info = read_json_checked(cfg_file, dict, rebuild, keys=("config",))
        if info.get("config") == cfg:
            net = SegmenterNet(config.num_classes, config.width)
            try:
                net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
            except Exception as exc:  # truncated, foreign or another network's weights
                raise DataError(
                    f"cannot load the cached segmenter {weights} ({type(exc).__name__}): {rebuild}"
                ) from None
            return Segmenter(net, config.size, info)
    if not train_if_missing:
        raise DataError(f"no segmenter cached at {folder}: run `python -m spap_lib metrics segmenter-train`")
    if train_folder is None:
        if name != "synth-streets":
            raise ConfigError(f"segmenter {name!r} is not cached: pass train_folder=<A|B train dir>")
        from spap_lib.data import synthesize

        train_folder = synthesize("streets", root, size=config.size) / "train"
    photos, labels = load_aligned_pairs(train_folder, CITYSCAPES_PALETTE, config.size, config.label_tolerance)
    if verbose:
        print(f"training segmenter {name!r} on {len(photos)} photos ({config.steps} steps)")
    net, log = train_segmenter(photos, labels, config)
    atomic_save(net.state_dict(), weights)
    info = {
        "name": name,
        "config": cfg,
        "train_folder": str(train_folder),
        "train": log,
        "torch": torch.__version__,
        "sha256": file_sha256(weights),
    }
    write_json(cfg_file, info, sort_keys=True)
    return Segmenter(net, config.size, info)


def preset(name: str, **overrides: object) -> SegmenterConfig:
    """A recipe from ``PRESETS`` with field overrides (e.g. ``preset("cityscapes", steps=5000)``)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown segmenter preset {name!r}: use one of {sorted(PRESETS)}")
    try:
        config = replace(PRESETS[name], **overrides)
    except TypeError as exc:
        raise ConfigError(f"bad segmenter override: {exc}") from exc
    for field in ("steps", "batch_size", "size", "width"):
        value = getattr(config, field)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"segmenter {field} must be an integer >= 1, got {value!r}")
    if config.device != "cpu" and not config.device.startswith("cuda"):
        raise ConfigError(f"unknown segmenter device {config.device!r}: use cpu or cuda")
    return config
