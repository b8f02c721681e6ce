"""Download and install a dataset: ``python -m spap_lib data download NAME --root data/`` (the public entry).

The archive of :data:`~spap_lib.data.sources.REGISTRY` is fetched and verified (:mod:`spap_lib.data.fetch`)
into ``<root>/.downloads``; its hash is recorded in ``<root>/.downloads/<file>.sha256.json`` after the first
successful download (trust on first use). It is extracted safely (:mod:`spap_lib.data.extract`) into a
temporary folder under ``root``, checked to hold images and no link leading outside the dataset folder, and
moved into place with ``os.replace``. Temporary names carry ``<pid>-<host>``; what a killed earlier download
left (its ``.part``, its extraction folder) is removed by the next one (:mod:`spap_lib.data.staging`).
``root`` must be a folder; anything else is a one-line ConfigError.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from spap_lib.data.extract import links_stay_inside, safe_extract
from spap_lib.data.fetch import DEFAULT_BASE_URL, URL_ENV, base_url, fetch
from spap_lib.data.sources import MANUAL, REGISTRY, Archive, manual_steps
from spap_lib.data.staging import remove_stale, temp_token
from spap_lib.errors import ConfigError, DataError
from spap_lib.io import atomic_write, list_images, remove_tree

__all__ = [  # the downloader's public names, importable from here as before the split
    "COMPLETE",
    "DEFAULT_BASE_URL",
    "MANUAL",
    "REGISTRY",
    "URL_ENV",
    "Archive",
    "base_url",
    "check_root",
    "download",
    "fetch",
    "manual_steps",
    "remove_stale",
    "safe_extract",
    "temp_token",
]

COMPLETE = ".complete.json"


def check_root(root: str | Path) -> Path:
    """``root`` as a Path; ConfigError if it, or the nearest existing folder above it, is not a folder.

    Creates nothing (the data root is made when something is written into it).
    """
    root = Path(root)
    p = root
    while not os.path.lexists(p) and p.parent != p:
        p = p.parent
    if os.path.lexists(p) and not p.is_dir():
        where = "" if p == root else f" (its parent {p} is a file)"
        raise ConfigError(
            f"data root {root} is not a folder{where}: pass --root a folder path (created if missing)"
        )
    return root


def download(
    name: str,
    root: str | Path = "data",
    base: str | None = None,
    sha256: str | None = None,
    force: bool = False,
    archive: Archive | None = None,
) -> Path:
    """Download and extract dataset ``name`` into ``<root>/<name>`` and return that folder.

    Idempotent: a folder holding the completion record is returned as is (``force`` re-downloads).
    ``archive`` replaces the registry entry (tests, mirrors with other file names).
    """
    if name in MANUAL:
        raise ConfigError(f"{name} needs registration; see: python -m spap_lib data download {name}")
    spec = archive or REGISTRY.get(name)
    if spec is None:
        known = ", ".join(sorted(REGISTRY) + sorted(MANUAL))
        raise ConfigError(f"unknown dataset {name!r}; choose one of {known}")
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise ConfigError(f"--sha256 {sha256!r} is not a SHA-256 (64 hex digits): pass the whole hash")
    root = check_root(root)
    target = root / name
    if (target / COMPLETE).is_file() and not force:
        return target
    if target.exists() and not force:
        raise DataError(f"{target} exists but is not a finished download; delete it or pass --force")
    url = f"{base_url(base)}/{spec.path}"
    downloads = root / ".downloads"
    try:
        downloads.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create {downloads} ({exc}): pass a writable --root") from None
    record = downloads / f"{spec.filename}.sha256.json"
    expected, source = (sha256, "--sha256") if sha256 else (spec.sha256, "the registry")
    if expected is None and record.is_file():
        expected, source = json.loads(record.read_text())["sha256"], str(record)
    arch = downloads / spec.filename
    digest = fetch(url, arch, spec.size, expected, source)
    remove_stale(root, name)  # an earlier, killed extraction of this dataset
    remove_stale(downloads, record.name)  # a killed write of the record
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.{temp_token()}.", dir=root))
    try:
        safe_extract(arch, tmp)
        entries = [p for p in tmp.iterdir() if not p.name.startswith(".")]
        one = entries[0] if len(entries) == 1 else None
        # a single top folder is the dataset; a top-level link is kept inside it, never followed
        src = one if one is not None and one.is_dir() and not one.is_symlink() else tmp
        links_stay_inside(src)  # the moved folder's links must not point at its old siblings
        if not list_images(src, recursive=True):
            held = ", ".join(sorted(p.name for p in entries)[:3]) or "nothing"
            raise DataError(
                f"{url} holds no image ({held}): not a {name} dataset, nothing installed; check --base-url "
                "(or SPAP_DATA_URL) and --sha256"
            )
        done = src / COMPLETE
        if done.is_dir() and not done.is_symlink():
            shutil.rmtree(done)
        done.unlink(missing_ok=True)  # the record is ours: never write through an archive's link
        info = {"url": url, "sha256": digest, "bytes": arch.stat().st_size, "layout": spec.layout}
        done.write_text(json.dumps(info, indent=2))
        old = None
        if target.exists():  # --force: swap the old folder out, the new one in, then delete the old one
            old = root / f".{name}.old-{temp_token()}"
            os.replace(target, old)
        os.replace(src, target)
        if old is not None:
            try:
                remove_tree(old)  # read-only folders too: nothing is left behind
            except OSError as exc:
                print(
                    f"notice: could not delete the replaced {old} ({exc.strerror}): delete it",
                    file=sys.stderr,
                )
        if not record.is_file():
            text = json.dumps({"sha256": digest, "bytes": info["bytes"], "url": url})
            atomic_write(record, lambda t: Path(t).write_text(text), tag=temp_token())
    finally:
        with contextlib.suppress(OSError):
            remove_tree(tmp)
        arch.unlink(missing_ok=True)
    return target
