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

Extraction first plans the whole tree in memory and creates nothing until every member has passed. Each
member is resolved the way the system would resolve it once the members before it exist (links made by
earlier members are followed, so a chain of links cannot lead a later member outside), and refused if it
has an absolute path, a drive letter or a ``..`` component, leads outside the target, is a link (symlink
or hard link) leading outside it, replaces an earlier member, or is a device/FIFO -- in tar and zip
alike. Hard links become copies of the earlier member they name (read from the archive, never from
disk). It extracts into a temporary folder under ``root``, checks that no link leads outside the dataset
folder, and moves the dataset into place with ``os.replace``. Temporary names carry ``<pid>-<host>``; what a
killed earlier download left (its ``.part``, its extraction folder) is removed by the next one. The base URL must be http(s) with a host,
and ``root`` a folder; anything else is a one-line ConfigError.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import lzma
import os
import posixpath
import re
import shutil
import socket
import stat
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from spap_lib.errors import ConfigError, DataError
from spap_lib.io import list_images, remove_tree

DEFAULT_BASE_URL = "http://efrosgans.eecs.berkeley.edu"
URL_ENV = "SPAP_DATA_URL"
COMPLETE = ".complete.json"


@dataclass(frozen=True)
class Archive:
    """One downloadable archive: URL path under the base, layout after extraction, size and SHA-256."""

    name: str
    path: str
    layout: str
    size: int | None = None  # bytes; None = not published (verified by Content-Length + recorded hash)
    sha256: str | None = None  # None = not published (trust on first use, see module docstring)

    @property
    def filename(self) -> str:
        return posixpath.basename(self.path)


_ALIGNED = "pix2pix aligned: {}/ of A|B images"
REGISTRY: dict[str, Archive] = {
    "facades": Archive("facades", "pix2pix/datasets/facades.tar.gz", _ALIGNED.format("train/ val/ test")),
    "maps": Archive("maps", "pix2pix/datasets/maps.tar.gz", _ALIGNED.format("train/ val")),
    "cityscapes": Archive("cityscapes", "pix2pix/datasets/cityscapes.tar.gz", _ALIGNED.format("train/ val")),
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
    """The base URL (``override``, else ``$SPAP_DATA_URL``, else the default); ConfigError if malformed."""
    raw = override or os.environ.get(URL_ENV) or DEFAULT_BASE_URL
    url = raw.rstrip("/")
    parts = urllib.parse.urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok or any(c.isspace() for c in url) or parts.query or parts.fragment:
        origin = "--base-url" if override else URL_ENV
        raise ConfigError(
            f"base URL {raw!r} (from {origin}) is not an http:// or https:// URL with a host: "
            f"fix it, e.g. {DEFAULT_BASE_URL}"
        )
    return url


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


def temp_token() -> str:
    """``<pid>-<host>``: marks the temporary files and folders of this process (see :func:`remove_stale`)."""
    host = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
    return f"{os.getpid()}-{host}"


def _dead(token: str) -> bool:
    """Whether the process that made a ``<pid>-<host>`` token is gone (never for another machine's)."""
    pid, _, host = token.partition("-")
    if host != temp_token().partition("-")[2] or not pid.isdigit() or int(pid) <= 0:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def remove_stale(folder: Path, stem: str) -> None:
    """Delete ``.<stem>.<pid>-<host>.*`` and ``.<stem>.old-<pid>-<host>`` entries under ``folder`` whose
    process is gone: what a killed download, extraction or synthesis left. A running process's are kept."""
    prefix = f".{stem}."
    if not folder.is_dir():
        return
    for p in folder.iterdir():
        if not p.name.startswith(prefix):
            continue
        m = re.match(r"(?:old-)?(\d+-[0-9a-f]{8})(?:\.|$)", p.name[len(prefix) :])
        if m is None or not _dead(m.group(1)):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _LocalWriteError(Exception):
    """An OSError writing the download to disk (full disk, read-only folder), not a network error."""


def _write(f, chunk: bytes) -> None:
    try:
        f.write(chunk)
    except OSError as exc:
        raise _LocalWriteError(exc) from None


def fetch(
    url: str,
    dest: Path,
    size: int | None = None,
    sha256: str | None = None,
    sha256_source: str = "--sha256",
) -> str:
    """Stream ``url`` to ``dest`` via ``dest.part``; verify length/size/hash; return the SHA-256.

    ``sha256_source`` says where the expected hash came from (``--sha256``, the registry, or the record of
    the first download), so that a mismatch names the fix that applies.
    """
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    h, got = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            length = resp.headers.get("Content-Length")
            length = int(length) if length is not None else None
            total = length or size
            try:
                f = open(part, "wb")  # noqa: SIM115 - closed by the with below
            except OSError as exc:
                raise _LocalWriteError(exc) from None
            with f, tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, leave=False) as bar:
                while chunk := resp.read(1 << 16):
                    _write(f, chunk)
                    h.update(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
                try:
                    f.flush()
                except OSError as exc:
                    raise _LocalWriteError(exc) from None
    except _LocalWriteError as exc:
        part.unlink(missing_ok=True)
        err = exc.args[0]
        raise DataError(
            f"cannot write {part} ({err.strerror or err}): free disk space or pass another --root, then run "
            "the same command again"
        ) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise DataError(
            f"download of {url} failed ({exc}); check the network or --base-url/{URL_ENV}"
        ) from None
    digest = h.hexdigest()
    problem = None
    if length is not None and got != length:
        problem = f"truncated download: got {got} of {length} bytes; nothing was kept, re-run to retry"
    elif size is not None and got != size:
        problem = f"size mismatch: got {got} bytes, expected {size}; nothing was kept, re-run to retry"
    elif sha256 is not None and digest != sha256.lower():
        problem = f"SHA-256 mismatch: got {digest}, expected {sha256} ({sha256_source}); nothing was kept: "
        if sha256_source == "--sha256":
            problem += "check the --sha256 value, or the server sends another file than the one it names"
        elif sha256_source == "the registry":
            problem += "the server's file is not the published one; try another --base-url"
        else:  # the record of the first download (trust on first use)
            problem += (
                f"the server's file changed since the first download; if that is expected, pass --sha256 "
                f"{digest} (or delete {sha256_source}), else try another --base-url"
            )
    if problem:
        part.unlink(missing_ok=True)
        raise DataError(f"{url}: {problem}")
    os.replace(part, dest)
    return digest


def _refuse(archive: Path, name: str, why: str) -> DataError:
    return DataError(f"refusing to extract {archive}: member {name!r} {why} (unsafe archive; not extracted)")


def _is_absolute(path: str) -> bool:
    norm = path.replace("\\", "/")
    return norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) is not None


def _parts(path: str) -> list[str]:
    """Path components with ``\\`` taken as ``/``, empty and ``.`` components dropped."""
    return [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]


def _check_name(archive: Path, name: str) -> list[str]:
    if "\0" in name:
        raise _refuse(archive, name, "has a NUL byte in its name")
    if _is_absolute(name):
        raise _refuse(archive, name, "has an absolute path")
    parts = _parts(name)
    if ".." in parts:
        raise _refuse(archive, name, "contains '..'")
    return parts


_Loc = tuple[str, ...]  # a location under the extraction folder with no link in it ("canonical")


@dataclass
class _Node:
    kind: str  # "dir" | "file" | "link"
    member: str = ""  # the archive member that made it ("" for folders made implicitly)
    link: str = ""  # a symlink's target, as written in the archive
    source: object = None  # a file's member (TarInfo / ZipInfo) to copy the bytes from
    mode: int = 0o644


class _Plan:
    """The tree an archive would create, built member by member in memory, without touching the disk.

    Every member's location is resolved the way the operating system would resolve it once the members
    before it exist: symlinks made by earlier members are followed (with ``..`` taken after a link as
    the parent of the link's target), so a chain of individually harmless links cannot lead a later
    member, or a link, outside the folder. ``ops`` lists what to create, at locations free of links.
    """

    MAX_HOPS = 40  # symlinks followed while resolving one path (Linux's limit); more = a loop

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self.nodes: dict[_Loc, _Node] = {(): _Node("dir")}
        self.ops: list[tuple[_Loc, _Node]] = []

    def _walk(self, member: str, parts: list[str], start: _Loc, follow_last: bool, hops: list[int]) -> _Loc:
        cur = start
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "..":
                if not cur:
                    raise _refuse(self.archive, member, "leads outside the target folder")
                cur = cur[:-1]
                continue
            nxt = (*cur, part)
            node = self.nodes.get(nxt)
            if node is not None and node.kind == "link" and (follow_last or not last):
                hops[0] += 1
                if hops[0] > self.MAX_HOPS:
                    raise _refuse(self.archive, member, "goes through a symlink loop")
                cur = self._walk(member, _parts(node.link), cur, True, hops)
            elif node is not None and node.kind == "file" and not last:
                raise _refuse(self.archive, member, f"goes through {'/'.join(nxt)!r}, a file, not a folder")
            else:
                cur = nxt
        return cur

    def resolve(self, member: str, path: str, start: _Loc = (), follow_last: bool = True) -> _Loc:
        """Where ``path`` (relative to ``start``) leads now; DataError if outside the folder or a loop."""
        return self._walk(member, _parts(path), start, follow_last, [0])

    def _check_link_target(self, member: str, link: str, parent: _Loc) -> None:
        if not link or "\0" in link:
            raise _refuse(self.archive, member, "is a link with an empty or invalid target")
        if _is_absolute(link):
            raise _refuse(self.archive, member, f"is a link to the absolute path {link!r}")
        try:
            self.resolve(member, link, parent)
        except DataError:
            raise _refuse(
                self.archive,
                member,
                f"is a link to {link!r}, which leads outside the target folder",
            ) from None

    def add(self, name: str, kind: str, link: str = "", source: object = None, mode: int = 0o644) -> None:
        """Add one member: kind "dir", "file", "symlink" or "hardlink" (``link``: the target)."""
        parts = _check_name(self.archive, name)
        if kind == "dir":
            loc = self.resolve(name, name)
        else:
            if not parts:
                raise _refuse(self.archive, name, "would replace the target folder itself")
            loc = (*self.resolve(name, "/".join(parts[:-1])), parts[-1])
        for k in range(len(loc)):  # folders made on the way (tar files often list no folders)
            above = self.nodes.setdefault(loc[:k], _Node("dir"))
            if above.kind != "dir":
                where = "/".join(loc[:k])
                raise _refuse(self.archive, name, f"goes through {where!r}, a file, not a folder")
        existing = self.nodes.get(loc)
        if kind == "dir":
            if existing is None:
                self.nodes[loc] = node = _Node("dir", name)
                self.ops.append((loc, node))
            elif existing.kind != "dir":
                raise _refuse(self.archive, name, f"is a folder where {existing.member!r} is a file")
            return
        if existing is not None:
            what = "a folder" if existing.kind == "dir" else f"member {existing.member!r}"
            raise _refuse(self.archive, name, f"would replace {what} at the same place")
        if kind == "symlink":
            self._check_link_target(name, link, loc[:-1])
            node = _Node("link", name, link=link)
        elif kind == "hardlink":  # the target is an earlier member's name: copy its bytes
            if not link or "\0" in link or _is_absolute(link):
                raise _refuse(self.archive, name, f"is a hard link to the absolute path {link!r}")
            try:
                src = self.nodes.get(self.resolve(name, link))
            except DataError:
                raise _refuse(
                    self.archive, name, f"is a hard link to {link!r}, outside the target folder"
                ) from None
            if src is None or src.kind != "file":
                raise _refuse(
                    self.archive,
                    name,
                    f"is a hard link to {link!r}, not a file earlier in the archive",
                )
            node = _Node("file", name, source=src.source, mode=mode)
        else:
            node = _Node("file", name, source=source, mode=mode)
        self.nodes[loc] = node
        self.ops.append((loc, node))

    def finish(self) -> None:
        """Check every link once more against the whole tree (later members may change where it leads)."""
        for loc, node in self.nodes.items():
            if node.kind == "link":
                self._check_link_target(node.member, node.link, loc[:-1])

    def create(self, dest: Path, open_member) -> None:
        """Create the planned tree under the (new, empty) folder ``dest``, at the resolved locations."""
        for loc, node in self.ops:
            path = dest.joinpath(*loc)
            parent = path.parent
            parent.mkdir(parents=True, exist_ok=True)
            if os.path.realpath(parent) != str(parent):  # the plan and the disk disagree: stop
                raise DataError(f"refusing to write {path}: a link redirects it (unsafe archive)")
            if node.kind == "dir":
                path.mkdir(exist_ok=True)
            elif node.kind == "link":
                os.symlink(node.link.replace("\\", "/"), path)
            else:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                fd = os.open(path, flags, 0o600)
                with os.fdopen(fd, "wb") as out, open_member(node.source) as src:
                    shutil.copyfileobj(src, out)
                os.chmod(path, (node.mode & 0o755) | 0o600)


def _plan_tar(archive: Path, tf: tarfile.TarFile) -> _Plan:
    plan = _Plan(archive)
    for m in tf.getmembers():
        if m.isdir():
            plan.add(m.name, "dir")
        elif m.isfile():
            plan.add(m.name, "file", source=m, mode=m.mode)
        elif m.issym():
            plan.add(m.name, "symlink", link=m.linkname)
        elif m.islnk():
            plan.add(m.name, "hardlink", link=m.linkname, mode=m.mode)
        else:
            _check_name(archive, m.name)
            raise _refuse(archive, m.name, "is a device, FIFO or other special file")
    plan.finish()
    return plan


_MAX_ZIP_LINK = 4096  # bytes of a zip symlink's target (PATH_MAX)


def _plan_zip(archive: Path, zf: zipfile.ZipFile) -> _Plan:
    plan = _Plan(archive)
    for info in zf.infolist():
        mode = info.external_attr >> 16
        ftype = stat.S_IFMT(mode)
        if stat.S_ISLNK(mode):
            if info.file_size > _MAX_ZIP_LINK:
                raise _refuse(archive, info.filename, "is a link with an over-long target")
            link = zf.read(info).decode("utf-8", "replace")
            plan.add(info.filename, "symlink", link=link)
        elif info.create_system == 3 and ftype not in (0, stat.S_IFREG, stat.S_IFDIR):
            _check_name(archive, info.filename)
            raise _refuse(archive, info.filename, "is a device, FIFO or other special file")
        elif info.is_dir():
            plan.add(info.filename, "dir")
        else:
            plan.add(info.filename, "file", source=info, mode=(mode & 0o7777) or 0o644)
    plan.finish()
    return plan


def safe_extract(archive: Path, dest: Path) -> None:
    """Extract a .zip or .tar(.gz/.bz2/.xz) into ``dest``, a new or empty folder.

    The whole archive is checked before anything is created (see the module docstring for what is
    refused); hard links are written as copies of the earlier member they name.
    """
    dest = Path(dest).resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DataError(f"refusing to extract {archive} into {dest}: use a new or empty folder")
    made = not dest.exists()
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                plan = _plan_zip(archive, zf)
                dest.mkdir(parents=True, exist_ok=True)
                plan.create(dest, zf.open)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                plan = _plan_tar(archive, tf)
                dest.mkdir(parents=True, exist_ok=True)
                plan.create(dest, tf.extractfile)
        else:
            raise DataError(f"{archive} is neither a zip nor a tar archive (corrupt or truncated download)")
    except DataError:
        if made:
            shutil.rmtree(dest, ignore_errors=True)
        raise
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError) as exc:
        if made:
            shutil.rmtree(dest, ignore_errors=True)
        raise DataError(f"{archive} is corrupt or truncated ({exc}); delete it and download again") from None
    except (NotImplementedError, RuntimeError) as exc:  # zip: unknown compression, encryption
        if made:
            shutil.rmtree(dest, ignore_errors=True)
        raise DataError(
            f"{archive} uses an unsupported zip feature ({exc}); unpack it by hand into a new folder"
        ) from None
    except OSError as exc:
        if made:
            shutil.rmtree(dest, ignore_errors=True)
        raise DataError(
            f"extracting {archive} into {dest} failed ({exc}): check free space and permissions, "
            "or delete the archive and download again"
        ) from None


def _links_stay_inside(folder: Path) -> None:
    """DataError if a symlink under ``folder`` leads outside it (checked after choosing the top folder)."""
    top = os.path.realpath(folder)
    for dirpath, dirnames, filenames in os.walk(folder):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            real = os.path.realpath(p)
            if os.path.islink(p) and not (real == top or real.startswith(top + os.sep)):
                rel = os.path.relpath(p, folder)
                raise DataError(
                    f"refusing to install {folder.name}: link {rel!r} leads outside the dataset "
                    "folder (unsafe archive; not installed)"
                )


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
    remove_stale(downloads, f"{spec.filename}.sha256")
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.{temp_token()}.", dir=root))
    try:
        safe_extract(arch, tmp)
        entries = [p for p in tmp.iterdir() if not p.name.startswith(".")]
        one = entries[0] if len(entries) == 1 else None
        # a single top folder is the dataset; a top-level link is kept inside it, never followed
        src = one if one is not None and one.is_dir() and not one.is_symlink() else tmp
        _links_stay_inside(src)  # the moved folder's links must not point at its old siblings
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
            fd, t = tempfile.mkstemp(prefix=f".{spec.filename}.sha256.{temp_token()}.", dir=downloads)
            with os.fdopen(fd, "w") as f:
                json.dump({"sha256": digest, "bytes": info["bytes"], "url": url}, f)
            os.replace(t, record)
    finally:
        with contextlib.suppress(OSError):
            remove_tree(tmp)
        arch.unlink(missing_ok=True)
    return target
