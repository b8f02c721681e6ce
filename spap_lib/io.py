"""File helpers every layer shares, one copy each: atomic writes, JSON, hashes and digests, image listing.

Atomic writes go to a temporary file in the target's folder (``.<name>.<random>.tmp``) that is moved over the
target with ``os.replace``: a crash leaves the old file or none, never half of one, and the temporary file
is removed on any error. ``exclusive``/``compute_once`` serialise processes that would compute the same
cached file. This module imports nothing of the library, so data, models, metrics, training and reports
can all use it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm")
TMP_SUFFIX = ".tmp"


def atomic_write(path: str | Path, write: Callable[[str], None], suffix: str = "") -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then move it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix + TMP_SUFFIX, dir=path.parent)
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

    Datasets read their split folders flat; metrics read output folders recursively (as clean-fid does).
    """
    folder = Path(folder)
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.is_file() and is_image(p))
