"""Embedded synthetic datasets (offline stand-ins for the paper's Sec. 4.1 data) and the cache that holds them.

``synthesize(name, root, size, n, seed)`` writes, under ``<root>/synth/<name>-<size>-n<n>-s<seed>/``:

* ``faces``: ``images/NNNNNN.png`` plus ``split.json`` (the CelebA-HQ folder layout read by ``FaceDataset``);
* ``streets`` / ``maps`` / ``facades``: ``train/*.png`` and ``test/*.png`` in pix2pix's aligned layout,
  each file A|B side by side (width ``2*size``): streets A = photo, B = Cityscapes-palette labels;
  facades A = photo, B = CMP-palette labels; maps A = aerial, B = map (pix2pix's own conventions).

Choices: ``n`` is the number of training images/pairs and the test split has ``max(n // 10, 8)`` (the
paper's 27k/3k is 9:1; at least 8 so small runs can still evaluate). Image ``j`` of a split is drawn from
``numpy.random.default_rng([seed, split, j])``, so it is the same whatever ``n`` is and whichever worker
draws it, and PNGs are written with fixed settings: same arguments -> identical bytes. The folder is built
in a temporary sibling and moved into place with ``os.replace`` after ``manifest.json`` is written, so a
folder with a manifest is always complete; a second call with the same arguments returns it untouched. The
temporary sibling a killed synthesis left (``.<folder>.<pid>-<host>.*``) is removed by the next one.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from spap_lib.data.staging import remove_stale, temp_token
from spap_lib.data.synth import facades, faces, maps, streets
from spap_lib.data.synth.draw import save_png
from spap_lib.errors import ConfigError, DataError
from spap_lib.io import read_json_checked

GENERATOR_VERSION = 1  # bump whenever a generator's output changes: cached folders are then rebuilt
SYNTH_NAMES: tuple[str, ...] = ("faces", "streets", "maps", "facades")
_RENDER = {
    "faces": faces.render,
    "streets": streets.render,
    "maps": maps.render,
    "facades": facades.render,
}
DESCRIPTIONS = {
    "faces": "faces for unconditional GAN (stand-in for CelebA-HQ, Table 1); images/ + split.json",
    "streets": "street photo|Cityscapes labels, aligned A|B (stand-in for Cityscapes, Table 2)",
    "maps": "aerial|map, aligned A|B (stand-in for pix2pix maps, Table 3)",
    "facades": "facade photo|CMP labels, aligned A|B (stand-in for pix2pix facades, Table 3)",
}
_SPLITS = {"train": 0, "test": 1}


def n_test_for(n: int) -> int:
    """Number of test images/pairs that go with ``n`` training ones."""
    return max(n // 10, 8)


def render_item(name: str, size: int, seed: int, split: str, j: int) -> np.ndarray:
    """Image ``j`` of ``split`` as a uint8 array: (size, size, 3) for faces, (size, 2*size, 3) for pairs."""
    rng = np.random.default_rng([seed, _SPLITS[split], j])
    out = _RENDER[name](rng, size)
    return np.concatenate(out, axis=1) if isinstance(out, tuple) else out


def _write_items(name: str, size: int, seed: int, items: list[tuple[str, int, str]], folder: str) -> int:
    for split, j, rel in items:
        save_png(Path(folder) / rel, render_item(name, size, seed, split, j))
    return len(items)


def _check(name: str, size: int, n: int, seed: int) -> None:
    if name not in _RENDER:
        raise ConfigError(f"unknown synthetic dataset {name!r}; choose one of {', '.join(SYNTH_NAMES)}")
    if not isinstance(size, int) or size < 16:
        raise ConfigError(f"size must be an integer >= 16, got {size!r}")
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"n (number of training images) must be an integer >= 1, got {n!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")


def synth_dir(name: str, root: str | Path = "data", size: int = 64, n: int = 2000, seed: int = 0) -> Path:
    """Where ``synthesize`` keeps a dataset with these parameters."""
    return Path(root) / "synth" / f"{name}-{size}-n{n}-s{seed}"


def synthesize(
    name: str,
    root: str | Path = "data",
    size: int = 64,
    n: int = 2000,
    seed: int = 0,
    workers: int | None = None,
) -> Path:
    """Generate (or reuse) a synthetic dataset and return its folder (see the module docstring).

    ``workers`` processes draw the images (default: up to 2, the CPU count of the reference machine);
    the bytes do not depend on it.
    """
    _check(name, size, n, seed)
    final = synth_dir(name, root, size, n, seed)
    n_test = n_test_for(n)
    manifest = {
        "name": name,
        "size": size,
        "n": n,
        "n_test": n_test,
        "seed": seed,
        "version": GENERATOR_VERSION,
        "layout": "faces: images/ + split.json" if name == "faces" else "pix2pix aligned A|B",
    }
    if final.exists():
        mpath = final / "manifest.json"
        if not mpath.is_file():
            raise DataError(
                f"{final} exists but has no manifest.json (interrupted or foreign folder); delete it and re-run"
            )
        rebuild = f"delete {final} and re-run (it is rebuilt)"
        if read_json_checked(mpath, dict, rebuild) == manifest:
            return final
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(final.parent, final.name)  # what a killed earlier synthesis of this folder left
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.{temp_token()}.", dir=final.parent))
    try:
        if name == "faces":
            (tmp / "images").mkdir()
            train = [("train", j, f"images/{j:06d}.png") for j in range(n)]
            test = [("test", j, f"images/{n + j:06d}.png") for j in range(n_test)]
        else:
            (tmp / "train").mkdir()
            (tmp / "test").mkdir()
            train = [("train", j, f"train/{j:06d}.png") for j in range(n)]
            test = [("test", j, f"test/{j:06d}.png") for j in range(n_test)]
        _render_all(name, size, seed, train + test, tmp, workers)
        if name == "faces":
            split = {
                "seed": seed,
                "test_fraction": n_test / (n + n_test),
                "train": [Path(r).name for _, _, r in train],
                "test": [Path(r).name for _, _, r in test],
            }
            (tmp / "split.json").write_text(json.dumps(split, indent=0))
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        _move_into_place(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _render_all(name, size, seed, items, folder: Path, workers: int | None) -> None:
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    if workers <= 1 or len(items) < 64 or "fork" not in multiprocessing.get_all_start_methods():
        _write_items(name, size, seed, items, str(folder))
        return
    chunks = [items[i : i + 64] for i in range(0, len(items), 64)]
    # fork: the children only run numpy/PIL code, and start in milliseconds (no torch re-import).
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        futures = [pool.submit(_write_items, name, size, seed, c, str(folder)) for c in chunks]
        for f in futures:
            f.result()


def _move_into_place(tmp: Path, final: Path) -> None:
    old = None
    if final.exists():  # an older generator version: swap it out, then delete it
        old = final.with_name(f".{final.name}.old-{temp_token()}")
        os.replace(final, old)
    try:
        os.replace(tmp, final)
    except OSError:
        if not (final / "manifest.json").is_file():  # not a concurrent writer that won: real failure
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def list_synthetic(root: str | Path = "data") -> list[dict]:
    """Manifests of the synthetic datasets present under ``<root>/synth``."""
    out = []
    base = Path(root) / "synth"
    for d in sorted(base.glob("*")) if base.is_dir() else []:
        m = d / "manifest.json"
        if d.is_dir() and not d.name.startswith(".") and m.is_file():
            out.append({"path": str(d), **read_json_checked(m, dict, f"delete {d} and re-run to rebuild it")})
    return out


__all__ = ["SYNTH_NAMES", "list_synthetic", "n_test_for", "render_item", "synth_dir", "synthesize"]
