"""Safe extraction of a downloaded tar or zip archive: the whole tree is planned in memory and nothing is
created until every member has passed.

Each member is resolved the way the system would resolve it once the members before it exist (links made by
earlier members are followed, so a chain of links cannot lead a later member outside), and refused if it
has an absolute path, a drive letter or a ``..`` component, leads outside the target, is a link (symlink
or hard link) leading outside it, replaces an earlier member, or is a device/FIFO -- in tar and zip
alike. Hard links become copies of the earlier member they name (read from the archive, never from
disk). :func:`links_stay_inside` checks an extracted folder once more before it is installed.
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from spap_lib.errors import DataError


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


def links_stay_inside(folder: Path) -> None:
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
