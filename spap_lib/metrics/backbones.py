"""Feature backbones for Fréchet/kernel distances, and which one a run uses.

A ``Backbone`` carries the names of the metrics it gives, so a number never travels without them:

- ``inception``: clean-fid's torchscript Inception-v3 (``inception-2015-12-05.pt``, pool3 features,
  2048-d) -> "FID" and "KID". Weights, first found: the ``inception_weights`` argument, the
  ``SPAP_INCEPTION_WEIGHTS`` environment variable, clean-fid's own cache (``/tmp/inception-2015-12-05.pt``),
  ``<root>/backbones/inception/inception-2015-12-05.pt``, else clean-fid's download URL when the host
  answers within ``ONLINE_TIMEOUT_S`` (set ``SPAP_OFFLINE=1`` to skip the check). A file the user points
  to is treated as Inception *because the user said so*: we cannot verify it offline; it must be a
  torchscript module with clean-fid's interface (a ``layers`` sub-module mapping (x - 128) / 128 at
  299x299 to (B, D, ...)).
- ``synth``: the offline stand-in of ``synth_backbone.py`` -> "FD-synth" and "KD-synth" (never "FID").

``select_backbone("auto")`` picks Inception when its weights can be had, else the stand-in.
Both take images in [0, 255]; ``Backbone.resize`` is clean-fid's "clean" resize (PIL bicubic on float
channels, no quantisation) to the backbone's input size (299 or 64), skipped when already that size.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from cleanfid.resize import make_resizer

from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics._io import atomic_write, file_sha256

INCEPTION_FILE = "inception-2015-12-05.pt"
INCEPTION_URL = (
    "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/" + INCEPTION_FILE
)
ENV_WEIGHTS = "SPAP_INCEPTION_WEIGHTS"
ENV_OFFLINE = "SPAP_OFFLINE"
ONLINE_TIMEOUT_S = 3.0
BACKBONE_KINDS = ("auto", "inception", "synth")


@dataclass(frozen=True)
class Backbone:
    """A feature extractor with the names of the metrics it defines.

    Call it on a (B, 3, S, S) float tensor in [0, 255] at ``input_size`` to get (B, D) features
    (clean-fid's ``custom_feat_extractor`` / ``model`` convention).
    """

    kind: str  # "inception" or "synth"
    id: str  # statistics cache key, includes the weights' hash
    metric: str  # "FID" or "FD-synth"
    kernel_metric: str  # "KID" or "KD-synth"
    input_size: int
    forward: Callable[[torch.Tensor], torch.Tensor] = field(repr=False)
    source: str = ""  # where the weights came from

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.forward(batch.float())

    def resize(self, img: np.ndarray) -> np.ndarray:
        """(H, W, 3) image in [0, 255] -> float32 (S, S, 3), clean-fid's clean resize."""
        img = np.asarray(img)
        s = self.input_size
        if img.shape[:2] == (s, s):
            return img.astype(np.float32)
        return _clean_resizer(s)(img)


_RESIZERS: dict[int, Callable[[np.ndarray], np.ndarray]] = {}


def _clean_resizer(size: int) -> Callable[[np.ndarray], np.ndarray]:
    if size not in _RESIZERS:
        _RESIZERS[size] = make_resizer("PIL", False, "bicubic", (size, size))
    return _RESIZERS[size]


def is_online(url: str = INCEPTION_URL, timeout: float = ONLINE_TIMEOUT_S) -> bool:
    """Whether ``url``'s host accepts a TCP connection within ``timeout`` seconds (never hangs).

    ``SPAP_OFFLINE=1`` answers False at once. DNS lookups ignore socket timeouts, so the check runs
    in a daemon thread that is abandoned after ``timeout``.
    """
    if os.environ.get(ENV_OFFLINE, "") not in ("", "0"):
        return False
    host = urllib.parse.urlparse(url).hostname or ""
    result: list[bool] = []

    def _probe() -> None:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    t = threading.Thread(target=_probe, daemon=True)
    t.start()
    t.join(timeout + 0.5)
    return bool(result and result[0])


def find_inception_weights(
    inception_weights: str | Path | None = None, root: str | Path = "data", download: bool = True
) -> Path | None:
    """Path of the Inception weights by the order in the module docstring, or None if unavailable."""
    explicit = inception_weights or os.environ.get(ENV_WEIGHTS)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"Inception weights {path} not found: fix {ENV_WEIGHTS} / --inception-weights "
                f"or unset it to use the offline stand-in (FD-synth)"
            )
        return path
    for path in (
        Path("/tmp") / INCEPTION_FILE,
        Path(root) / "backbones" / "inception" / INCEPTION_FILE,
    ):
        if path.is_file():
            return path
    if download and is_online():
        target = Path(root) / "backbones" / "inception" / INCEPTION_FILE

        def _get(tmp: str) -> None:
            with (
                urllib.request.urlopen(INCEPTION_URL, timeout=60) as r,
                open(tmp, "wb") as f,
            ):
                shutil.copyfileobj(r, f)

        try:
            return atomic_write(target, _get)
        except OSError:
            return None
    return None


def inception_backbone(weights: str | Path) -> Backbone:
    """Backbone from a torchscript Inception file (clean-fid's interface); metric "FID"."""
    path = Path(weights)
    try:
        module = torch.jit.load(str(path), map_location="cpu").eval()
    except (RuntimeError, ValueError, OSError) as exc:
        raise DataError(
            f"{path} is not a torchscript module ({exc.__class__.__name__}): point "
            f"{ENV_WEIGHTS} at clean-fid's {INCEPTION_FILE}"
        ) from exc
    if not hasattr(module, "layers"):
        raise DataError(
            f"{path} has no `layers` sub-module, so it is not clean-fid's torchscript Inception: "
            f"point {ENV_WEIGHTS} at {INCEPTION_FILE}"
        )
    layers: nn.Module = module.layers

    def forward(x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (299, 299):
            raise ConfigError(f"Inception takes 299x299 inputs, got {tuple(x.shape[-2:])}")
        return layers((x - 128.0) / 128.0).reshape(x.shape[0], -1)

    return Backbone(
        kind="inception",
        id=f"inception-{file_sha256(path)[:12]}",
        metric="FID",
        kernel_metric="KID",
        input_size=299,
        forward=forward,
        source=str(path),
    )


def standin_backbone(root: str | Path = "data", train_if_missing: bool = True) -> Backbone:
    """The offline stand-in (trained and cached under ``<root>/backbones`` on first use); "FD-synth"."""
    from spap_lib.metrics.synth_backbone import SYNTH_VERSION, load_synth_backbone

    net, info = load_synth_backbone(root, train_if_missing=train_if_missing)
    return Backbone(
        kind="synth",
        id=f"{SYNTH_VERSION}-{info['sha256'][:12]}",
        metric="FD-synth",
        kernel_metric="KD-synth",
        input_size=info["config"]["size"],
        forward=net.features,
        source=str(Path(root) / "backbones" / SYNTH_VERSION),
    )


def select_backbone(
    kind: str = "auto",
    root: str | Path = "data",
    inception_weights: str | Path | None = None,
    download: bool = True,
) -> Backbone:
    """ "inception" (error if no weights), "synth", or "auto" (Inception if available, else synth)."""
    if kind not in BACKBONE_KINDS:
        raise ConfigError(f"unknown backbone {kind!r}: use one of {BACKBONE_KINDS}")
    if kind == "synth":
        return standin_backbone(root)
    weights = find_inception_weights(inception_weights, root, download=download)
    if weights is not None:
        return inception_backbone(weights)
    if kind == "inception":
        raise ConfigError(
            f"Inception weights unavailable (offline, no local file): set {ENV_WEIGHTS}="
            f"/path/{INCEPTION_FILE}, or use backbone 'synth' (its metric is FD-synth, not FID)"
        )
    return standin_backbone(root)
