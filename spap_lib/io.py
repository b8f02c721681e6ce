"""File helpers every layer shares, one copy each: atomic writes, JSON, hashes and digests, image listing.

Atomic writes go to a temporary file in the target's folder (``.<name>.<random>.tmp``) that is moved over the
target with ``os.replace``: a crash leaves the old file or none, never half of one, and the temporary file
is removed on any error. ``exclusive``/``compute_once`` serialise processes that would compute the same
cached file. :func:`check_name` is the one check of a user-supplied name that becomes a path component;
:func:`read_json_checked` the one checked reader of a JSON file the program wrote itself. This module imports
nothing of the library but its error types, so data, models, metrics, training and reports can all use it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch

from spap_lib.errors import ConfigError, DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm")
TMP_SUFFIX = ".tmp"


def atomic_write(path: str | Path, write: Callable[[str], None], suffix: str = "", tag: str = "") -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then move it over ``path``.

    ``tag`` goes into the temporary name right after ``.<name>.`` (the downloader's ``<pid>-<host>``, so a
    later process can tell a killed writer's file from a running one's)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}.{tag}." if tag else f".{path.name}."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix + TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""

    def _write(tmp: str) -> None:
        with open(tmp, "w") as f:
            f.write(text)

    return atomic_write(path, _write)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_save(obj: Any, path: str | Path) -> Path:
    """``torch.save(obj)`` to ``path`` atomically (checkpoints, weights). torch reports a failed write (a full
    disk) as a RuntimeError; it is raised as the OSError it is.

    Saved through an open file, not a file name: torch names the records inside its zip after the file it
    is given, so saving to the random temporary name would make the same weights hash differently on every
    write; through a file object they are always ``archive/...`` and equal tensors give equal bytes."""

    def _save(tmp: str) -> None:
        try:
            with open(tmp, "wb") as f:
                torch.save(obj, f)
        except RuntimeError as exc:
            raise OSError(errno.EIO, f"torch.save failed: {str(exc).strip().splitlines()[-1]}") from exc

    return atomic_write(path, _save)


@contextlib.contextmanager
def exclusive(lock_file: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` for the block; another process entering waits until this one
    leaves. For "compute once, cache, reuse": re-check the cache inside the block.

    An advisory ``flock``, which the operating system drops when its process dies: a killed process leaves
    at most an unlocked file, never a held lock. The holder deletes the file when it leaves, so nothing stays
    behind; a waiter that then wakes on the deleted file sees its inode gone and locks the new one. Where
    ``fcntl`` does not exist (Windows) the block runs unlocked: concurrent processes then compute the same
    file twice, each writing it atomically.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    lock_file = Path(lock_file)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    while True:
        f = open(lock_file, "a")  # noqa: SIM115 - held across the yield, closed after it
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            if os.fstat(f.fileno()).st_ino == os.stat(lock_file).st_ino:
                break  # the file we locked is still the one at the path
        except FileNotFoundError:
            pass
        f.close()
    try:
        yield
    finally:
        lock_file.unlink(missing_ok=True)
        f.close()  # releases the lock


def compute_once(target: Path, load: Callable[[], Any], compute: Callable[[], Any]) -> Any:
    """``load()``'s cache hit for ``target``, else ``compute()`` -- under :func:`exclusive` on
    ``.<target name>.lock`` beside it, with the cache checked again inside, so processes that ask together
    compute it once (the others wait, then load). ``load`` returns None on a miss."""
    found = load()
    if found is not None:
        return found
    with exclusive(target.with_name(f".{target.name}.lock")):
        found = load()
        return found if found is not None else compute()


def write_json(path: str | Path, obj: Any, sort_keys: bool = False) -> Path:
    """Write ``obj`` as indented JSON (a final newline), atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=sort_keys) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def check_name(what: str, name: object) -> str:
    """``name`` if it is one path component (a cache, run, dataset or preset name); else a one-line
    ConfigError, before anything is created: no separator, no ``..``/``.``, not absolute, not empty."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{what} name {name!r} is empty: pass a plain name such as 'my-run'")
    if "/" in name or "\\" in name or name in (".", "..") or "\0" in name or os.path.isabs(name):
        raise ConfigError(
            f"{what} name {name!r} is not a plain name (no '/', '\\', '..' or absolute path): it would "
            "leave its folder; pass a single name such as 'my-run'"
        )
    return name


def _json_kind(typ: type) -> str:
    """JSON's name for what a Python type holds (``dict`` -> object)."""
    names = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
    return names.get(typ, "null" if typ is type(None) else typ.__name__)


def read_json_checked(path: str | Path, expect: type, fix: str, keys: tuple[str, ...] = ()) -> Any:
    """A JSON file the program wrote, read back checked: a one-line DataError naming the file and ``fix``
    (the command that rebuilds it, or what to delete) if it cannot be read, is not JSON, is not of type
    ``expect`` or (a dict) lacks one of ``keys``."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise DataError(f"cannot read {path} ({reason}): {fix}") from None
    except ValueError:
        raise DataError(f"{path} is not valid JSON (truncated or edited): {fix}") from None
    if not isinstance(obj, expect):
        raise DataError(
            f"{path} holds a JSON {_json_kind(type(obj))}, not a JSON {_json_kind(expect)}: {fix}"
        )
    missing = [k for k in keys if k not in obj]
    if missing:
        raise DataError(f"{path} lacks {', '.join(map(repr, missing))} (truncated or edited): {fix}")
    return obj


def remove_tree(path: str | Path) -> None:
    """Delete the folder ``path`` and everything in it, read-only entries too (an archive's 0o555 folders):
    a folder whose entry cannot be removed gets its owner's write permission, then the removal is retried.
    Raises the OSError of an entry that still cannot be removed; a missing ``path`` is fine."""
    import stat

    def retry(func: Callable[..., Any], p: str, _exc: Any) -> None:
        parent = os.path.dirname(p)
        os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR | stat.S_IXUSR)
        if func in (os.rmdir, os.unlink, os.remove) or not os.path.isdir(p) or os.path.islink(p):
            func(p)
        else:  # a folder that could not be listed
            os.chmod(p, os.stat(p).st_mode | stat.S_IRWXU)
            shutil.rmtree(p, onerror=retry)

    if os.path.lexists(path):
        shutil.rmtree(path, onerror=retry)


def stale_temporaries(folder: str | Path) -> list[Path]:
    """Temporary files an interrupted atomic write left in ``folder`` (safe to delete: never a result)."""
    folder = Path(folder)
    return sorted(folder.glob(f".*{TMP_SUFFIX}")) if folder.is_dir() else []


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def state_digest(state: Mapping[str, torch.Tensor], names: bool = True) -> str:
    """SHA-256 over the name, dtype, shape and bytes of every tensor of a state dict, in its order.

    Two state dicts have the same digest exactly when they hold bit-identical tensors under the same names;
    with ``names=False``, in the same order whatever their names (a renamed module keeps its digest).
    """
    h = hashlib.sha256()
    for name, t in state.items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name if names else ''}|{t.dtype}|{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def is_image(path: Path) -> bool:
    """An image file by its extension (any case), hidden files excluded."""
    return path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def list_images(folder: str | Path, recursive: bool = False) -> list[Path]:
    """Image files in ``folder`` (and its subfolders when ``recursive``), sorted by path.

    Datasets read their split folders flat; metrics read output folders recursively (as clean-fid does). A
    subfolder that cannot be read is a one-line DataError, never silently skipped (a score over half the images).
    """
    folder = Path(folder)
    if not recursive:
        return sorted(p for p in folder.iterdir() if p.is_file() and is_image(p))

    def refuse(exc: OSError) -> None:
        raise DataError(
            f"cannot read the folder {exc.filename} ({exc.strerror}): make it readable, or move it out of "
            f"{folder}, then run the command again"
        )

    found = [Path(d, n) for d, _, names in os.walk(folder, onerror=refuse) for n in names]
    return sorted(p for p in found if p.is_file() and is_image(p))
