"""Reference statistics of a dataset split, cached per backbone, resolution and split.

File: ``<root>/stats/<backbone.id>/<name>-r<resolution>-<split>.npz`` holding ``mu``, ``sigma``, the
raw ``feats`` (for the kernel distance) and a JSON ``meta`` string (backbone, metric name, counts, a
fingerprint of the file list). ``backbone.id`` includes the weights' hash, so retraining the stand-in
or pointing to other Inception weights never reuses stale statistics; a changed file list (count or
names) recomputes them. Written atomically; computed once when runs side by side ask for the same file
(the second waits for the first, then reads its file).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spap_lib.errors import ConfigError, DataError
from spap_lib.io import atomic_write, compute_once, list_images
from spap_lib.metrics.backbones import Backbone
from spap_lib.metrics.features import folder_features
from spap_lib.metrics.frechet import gaussian_stats


@dataclass(frozen=True)
class ReferenceStats:
    """Gaussian statistics (and features) of one dataset split under one backbone."""

    mu: np.ndarray = field(repr=False)
    sigma: np.ndarray = field(repr=False)
    feats: np.ndarray = field(repr=False)
    n: int
    name: str
    split: str
    resolution: int
    backbone_id: str
    metric: str
    path: Path | None = None

    @property
    def label(self) -> str:
        """``<name>-r<resolution>-<split>``: which images, at which size, the statistics describe."""
        return f"{self.name}-r{self.resolution}-{self.split}"


def stats_path(root: str | Path, backbone_id: str, name: str, resolution: int, split: str) -> Path:
    """``<root>/stats/<backbone_id>/<name>-r<resolution>-<split>.npz``."""
    for label, v in (("name", name), ("split", split)):
        if not v or "/" in v or v.startswith("."):
            raise ConfigError(f"statistics {label} {v!r} must be a plain, non-empty file-name part")
    return Path(root) / "stats" / backbone_id / f"{name}-r{int(resolution)}-{split}.npz"


def _fingerprint(files: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0")
    return h.hexdigest()[:16]


def _load(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in ("mu", "sigma", "feats")}
            meta = json.loads(str(z["meta"]))
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"corrupt statistics file {path} ({exc}): delete it to recompute") from exc
    return meta, arrays


def reference_stats(
    backbone: Backbone,
    name: str,
    split: str,
    resolution: int,
    folder: str | Path | None = None,
    files: Sequence[str | Path] | None = None,
    side: str | None = None,
    root: str | Path = "data",
    refresh: bool = False,
) -> ReferenceStats:
    """Statistics of the images under ``folder`` (or ``files``) at ``resolution``, cached.

    ``name`` identifies the dataset (e.g. ``faces-64-n2000-s0`` or ``streets-64-n2000-s0-B``);
    ``side`` picks the A or B half of aligned A|B images.
    """
    if files is None:
        if folder is None or not Path(folder).is_dir():
            raise DataError(f"reference folder {folder} does not exist: generate the dataset first")
        files = list_images(folder, recursive=True)
    file_list = [Path(f) for f in files]
    if not file_list:
        raise DataError(f"no reference images found (folder {folder}): check the path")
    path = stats_path(root, backbone.id, name, resolution, split)
    fp = _fingerprint(file_list)
    identity = dict(
        name=name, split=split, resolution=resolution, backbone_id=backbone.id, metric=backbone.metric
    )
    return compute_once(
        path,
        lambda: None if refresh else _cached(path, fp, len(file_list), identity),
        lambda: _compute(path, fp, file_list, backbone, identity, folder, side),
    )


def _cached(path: Path, fp: str, n: int, identity: dict) -> ReferenceStats | None:
    """The statistics cached at ``path`` if they were computed from the same file list, else None."""
    if not path.is_file():
        return None
    meta, arr = _load(path)
    if meta.get("fingerprint") != fp or meta.get("n") != n:
        return None
    return ReferenceStats(**arr, n=n, **identity, path=path)


def _compute(
    path: Path,
    fp: str,
    file_list: list[Path],
    backbone: Backbone,
    identity: dict,
    folder: str | Path | None,
    side: str | None,
) -> ReferenceStats:
    name, split, resolution = identity["name"], identity["split"], identity["resolution"]
    feats = folder_features(None, backbone, files=file_list, side=side, resolution=resolution)
    mu, sigma = gaussian_stats(feats)
    meta = {
        "name": name,
        "split": split,
        "resolution": int(resolution),
        "side": side,
        "backbone": backbone.id,
        "metric": backbone.metric,
        "kernel_metric": backbone.kernel_metric,
        "n": len(file_list),
        "fingerprint": fp,
        "source": str(folder) if folder is not None else None,
    }

    def _write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, mu=mu, sigma=sigma, feats=feats.astype(np.float32), meta=json.dumps(meta))

    atomic_write(path, _write)
    return ReferenceStats(mu, sigma, feats.astype(np.float32), n=len(file_list), **identity, path=path)
