"""Archives built in memory for the downloader's tests (``tests/data``, ``tests/faults``); on the import path
through ``pythonpath = ["tests"]`` in pyproject.toml."""

from __future__ import annotations

import io
import tarfile


def tar_gz(members: dict[str, bytes], links: list[tuple[str, str, bytes]] = ()) -> bytes:
    """A .tar.gz of ``members`` (name -> bytes) then ``links`` (name, target, tarfile.SYMTYPE/LNKTYPE)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target, kind in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            tf.addfile(info)
    return buf.getvalue()
