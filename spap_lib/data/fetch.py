"""HTTP fetching of one archive, verified: ``<base>/<path>`` streamed to ``<file>.part`` and renamed only when
complete and verified.

The base URL is ``http://efrosgans.eecs.berkeley.edu``, the host the reference repositories' download scripts
use; override it with ``--base-url`` or the ``SPAP_DATA_URL`` environment variable (a mirror, tests). It must be
http(s) with a host; anything else is a one-line ConfigError.

Integrity. What is verified: the byte count against the server's Content-Length (a cut connection is never
taken for a whole file), the registry's size/hash where known, an expected hash passed by the caller, and
otherwise the hash recorded after the first successful download (trust on first use: later downloads must
match it; the record is kept by :func:`spap_lib.data.download.download`).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from spap_lib.errors import ConfigError, DataError

DEFAULT_BASE_URL = "http://efrosgans.eecs.berkeley.edu"
URL_ENV = "SPAP_DATA_URL"


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


class _LocalWriteError(Exception):
    """An OSError writing the download to disk (full disk, read-only folder), not a network error."""


def _write(f: BinaryIO, chunk: bytes) -> None:
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
