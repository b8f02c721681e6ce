"""Temporary files and folders named after the process that made them (``<pid>-<host>``), and the removal of
those a killed process left: the downloader's and the synthesiser's staging areas."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
from pathlib import Path


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
