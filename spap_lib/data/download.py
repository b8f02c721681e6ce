"""Downloader for the public CycleGAN/pix2pix archives of the paper's datasets (Sec. 4.1), and the manual
steps for the registration-only ones (CelebA-HQ, official Cityscapes).

``python -m spap_lib data download NAME --root data/`` fetches ``<base>/<path>`` (base
``http://efrosgans.eecs.berkeley.edu``, the host the reference repositories' download scripts use;
override with ``--base-url`` or the ``SPAP_DATA_URL`` environment variable, e.g. for a mirror or tests).

Integrity. The reference repositories publish neither sizes nor SHA-256 sums, and this project was built
offline, so the registry records them as unknown (``None``) rather than inventing them. What is verified:
the byte count against the server's Content-Length (a cut connection is never taken for a whole file),
the registry's size/hash where known, an expected hash passed by the caller, and otherwise the hash
recorded in ``<root>/.downloads/<file>.sha256.json`` after the first successful download (trust on first
use: later downloads must match it). The archive is streamed to ``<file>.part`` and only renamed when
complete and verified.

Extraction refuses absolute paths, ``..`` components, drive letters, links (symlinks or hardlinks) that lead
outside the target, and device/FIFO members, in tar and zip alike, checking every member before writing
any; it extracts into a temporary folder under ``root`` and moves the dataset into place with ``os.replace``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from spap_lib.errors import ConfigError, DataError

DEFAULT_BASE_URL = "http://efrosgans.eecs.berkeley.edu"
URL_ENV = "SPAP_DATA_URL"
COMPLETE = ".complete.json"


@dataclass(frozen=True)
class Archive:
    """One downloadable archive: URL path under the base, layout after extraction, size and SHA-256."""

    name: str
    path: str
    layout: str
    size: int | None = (
        None  # bytes; None = not published (verified by Content-Length + recorded hash)
    )
    sha256: str | None = None  # None = not published (trust on first use, see module docstring)

    @property
    def filename(self) -> str:
        return posixpath.basename(self.path)


_ALIGNED = "pix2pix aligned: {}/ of A|B images"
REGISTRY: dict[str, Archive] = {
    "facades": Archive(
        "facades", "pix2pix/datasets/facades.tar.gz", _ALIGNED.format("train/ val/ test")
    ),
    "maps": Archive("maps", "pix2pix/datasets/maps.tar.gz", _ALIGNED.format("train/ val")),
    "cityscapes": Archive(
        "cityscapes", "pix2pix/datasets/cityscapes.tar.gz", _ALIGNED.format("train/ val")
    ),
    "horse2zebra": Archive(
        "horse2zebra",
        "cyclegan/datasets/horse2zebra.zip",
        "CycleGAN unaligned: trainA/ trainB/ testA/ testB/",
    ),
}

MANUAL: dict[str, str] = {
    "celeba_hq": """\
CelebA-HQ (paper Table 1) needs its licence accepted, so it is not downloaded automatically.
1. Request access to CelebAMask-HQ (https://github.com/switchablenorms/CelebAMask-HQ), which contains
   CelebA-HQ-img/ (the 30,000 CelebA-HQ images, 1024x1024 JPEG); or build CelebA-HQ from CelebA with the
   dataset_tool of https://github.com/tkarras/progressive_growing_of_gans.
2. Copy the 30,000 images into {root}/celeba_hq/images/ (png or jpg; pre-resizing to 128x128 makes loading
   faster, e.g. with PIL's bicubic resize; otherwise pass size=128 to FaceDataset).
3. Nothing else: the first FaceDataset("{root}/celeba_hq") writes {root}/celeba_hq/split.json with the
   27,000 / 3,000 random split (seed 0), the same on every machine.
Expected layout:
  {root}/celeba_hq/images/0.jpg ... 29999.jpg
  {root}/celeba_hq/split.json      (written for you)""",
    "cityscapes_official": """\
The official Cityscapes (paper Table 2) needs registration, so it is not downloaded automatically.
(For the pix2pix-prepared A|B version, which is public, run: python -m spap_lib data download cityscapes)
1. Register and log in at https://www.cityscapes-dataset.com/register/
2. From https://www.cityscapes-dataset.com/downloads/ download gtFine_trainvaltest.zip (241 MB) and
   leftImg8bit_trainvaltest.zip (11 GB).
3. mkdir -p {root}/cityscapes_official && unzip gtFine_trainvaltest.zip -d {root}/cityscapes_official
   && unzip leftImg8bit_trainvaltest.zip -d {root}/cityscapes_official
Expected layout (read with spap_lib.data.CityscapesDataset(root, split="val", size=256)):
  {root}/cityscapes_official/leftImg8bit/{{train,val,test}}/<city>/<name>_leftImg8bit.png
  {root}/cityscapes_official/gtFine/{{train,val,test}}/<city>/<name>_gtFine_labelIds.png""",
}


def manual_steps(name: str, root: str | Path = "data") -> str:
    """The manual download steps and expected layout for a registration-only dataset."""
    return MANUAL[name].format(root=str(root).rstrip("/"))


def base_url(override: str | None = None) -> str:
    return (override or os.environ.get(URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(url: str, dest: Path, size: int | None = None, sha256: str | None = None) -> str:
    """Stream ``url`` to ``dest`` via ``dest.part``; verify length/size/hash; return the SHA-256."""
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    h, got = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            length = resp.headers.get("Content-Length")
            length = int(length) if length is not None else None
            total = length or size
            with (
                open(part, "wb") as f,
                tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, leave=False) as bar,
            ):
                while chunk := resp.read(1 << 16):
                    f.write(chunk)
                    h.update(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        part.unlink(missing_ok=True)
        raise DataError(
            f"download of {url} failed ({exc}); check the network or --base-url/{URL_ENV}"
        ) from None
    digest = h.hexdigest()
    problem = None
    if length is not None and got != length:
        problem = f"truncated download: got {got} of {length} bytes"
    elif size is not None and got != size:
        problem = f"size mismatch: got {got} bytes, expected {size}"
    elif sha256 is not None and digest != sha256.lower():
        problem = f"SHA-256 mismatch: got {digest}, expected {sha256}"
    if problem:
        part.unlink(missing_ok=True)
        raise DataError(f"{url}: {problem}; nothing was kept, re-run to retry")
    os.replace(part, dest)
    return digest


def _refuse(archive: Path, name: str, why: str) -> DataError:
    return DataError(
        f"refusing to extract {archive}: member {name!r} {why} (unsafe archive; not extracted)"
    )


def _check_name(archive: Path, dest: Path, name: str) -> Path:
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        raise _refuse(archive, name, "has an absolute path")
    if ".." in norm.split("/"):
        raise _refuse(archive, name, "contains '..'")
    target = dest / norm
    if not _inside(dest, target):
        raise _refuse(archive, name, "leads outside the target folder")
    return target


def _inside(dest: Path, path: Path) -> bool:
    return os.path.normpath(path).startswith(str(dest) + os.sep) or os.path.normpath(path) == str(
        dest
    )


def _check_link(archive: Path, dest: Path, name: str, link: str, hard: bool) -> None:
    if link.startswith("/") or re.match(r"^[A-Za-z]:", link):
        raise _refuse(archive, name, f"is a link to the absolute path {link!r}")
    base = dest if hard else (dest / name.replace("\\", "/")).parent
    if not _inside(dest, Path(os.path.normpath(base / link))):
        raise _refuse(archive, name, f"is a link to {link!r}, outside the target folder")


def _write(dest: Path, target: Path, src, mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not _inside(dest, target.resolve()):  # a link extracted earlier must not redirect writes
        raise DataError(f"refusing to write {target}: it resolves outside {dest}")
    with open(target, "wb") as out:
        shutil.copyfileobj(src, out)
    os.chmod(target, (mode & 0o755) | 0o600)


def safe_extract(archive: Path, dest: Path) -> None:
    """Extract a .zip or .tar(.gz/.bz2/.xz) into ``dest`` (see the module docstring for what is refused)."""
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, dest)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, dest)
        else:
            raise DataError(
                f"{archive} is neither a zip nor a tar archive (corrupt or truncated download)"
            )
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise DataError(
            f"{archive} is corrupt or truncated ({exc}); delete it and download again"
        ) from None


def _extract_tar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        for m in members:
            _check_name(archive, dest, m.name)
            if m.issym() or m.islnk():
                _check_link(archive, dest, m.name, m.linkname, hard=m.islnk())
            elif not (m.isfile() or m.isdir()):
                raise _refuse(archive, m.name, "is a device, FIFO or other special file")
        for m in members:
            target = dest / m.name.replace("\\", "/")
            if m.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif m.isfile():
                with tf.extractfile(m) as src:
                    _write(dest, target, src, m.mode)
            elif m.issym():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(m.linkname, target)
            else:  # hardlink inside the archive: materialise as a copy
                with open(dest / m.linkname, "rb") as src:
                    _write(dest, target, src, m.mode)


def _extract_zip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        links = {}
        for info in infos:
            _check_name(archive, dest, info.filename)
            if stat.S_ISLNK(info.external_attr >> 16):
                links[info.filename] = zf.read(info).decode("utf-8", "replace")
                _check_link(archive, dest, info.filename, links[info.filename], hard=False)
        for info in infos:
            target = dest / info.filename.replace("\\", "/")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif info.filename in links:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(links[info.filename], target)
            else:
                with zf.open(info) as src:
                    _write(dest, target, src, (info.external_attr >> 16) or 0o644)


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
        raise ConfigError(
            f"{name} needs registration; see: python -m spap_lib data download {name}"
        )
    spec = archive or REGISTRY.get(name)
    if spec is None:
        known = ", ".join(sorted(REGISTRY) + sorted(MANUAL))
        raise ConfigError(f"unknown dataset {name!r}; choose one of {known}")
    root = Path(root)
    target = root / name
    if (target / COMPLETE).is_file() and not force:
        return target
    if target.exists() and not force:
        raise DataError(
            f"{target} exists but is not a finished download; delete it or pass --force"
        )
    downloads = root / ".downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    record = downloads / f"{spec.filename}.sha256.json"
    expected = sha256 or spec.sha256
    if expected is None and record.is_file():
        expected = json.loads(record.read_text())["sha256"]
    url = f"{base_url(base)}/{spec.path}"
    arch = downloads / spec.filename
    digest = fetch(url, arch, spec.size, expected)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
    try:
        safe_extract(arch, tmp)
        entries = [p for p in tmp.iterdir() if not p.name.startswith(".")]
        src = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp
        info = {"url": url, "sha256": digest, "bytes": arch.stat().st_size, "layout": spec.layout}
        (src / COMPLETE).write_text(json.dumps(info, indent=2))
        if target.exists():  # --force: swap the old folder out first
            old = root / f".{name}.old-{os.getpid()}"
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(src, target)
        if not record.is_file():
            fd, t = tempfile.mkstemp(dir=downloads)
            with os.fdopen(fd, "w") as f:
                json.dump({"sha256": digest, "bytes": info["bytes"], "url": url}, f)
            os.replace(t, record)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        arch.unlink(missing_ok=True)
    return target
