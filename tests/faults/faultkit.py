"""The fault suite's table machinery: a row is a set-up, one or more commands with their expected exit status
and error line, and the state the disk must be in afterwards.

Every row gets its own folder ``d`` holding ``root/`` (the root the commands are given: run folders, data
roots, outputs) and ``cwd/`` (the commands' working folder, which must stay empty: nothing may fall back to
a default path like ``runs/`` or ``data/``). What every row checks, besides its own expectations:

* the exit status, and no ``Traceback`` in stdout or stderr;
* exit 2 (a :class:`spap_lib.errors.SpapError`): stderr is exactly one line, ``error: ...``, matching the
  row's patterns (the problem and the fix); an argparse error is its one ``...: error: ...`` line after the
  usage lines; any other status: stderr holds only ``notice: ...`` lines (papermill: its last line is the
  library's ``ConfigError: ...``/``DataError: ...``, one line, and the output notebook's error);
* nothing new in ``d`` outside ``root/``, ``cwd/`` empty, the shared data root untouched;
* ``absent``: paths that must not exist afterwards (a refused command writes nothing);
* no leftovers under ``root/``: temporary files and folders (names starting with ``.``, e.g.
  ``.last.pt.x1y2.tmp``, ``.facades.abc/``), ``*.part`` files, a ``.lock`` of a finished process --
  except the names a row allows;
* ``keep``: files byte-identical before and after a step (earlier results intact).

Rows run concurrently on a thread pool (see ``conftest.py``); ``spap`` steps go through the fork server
(``forkserver.py``) unless the row is ``real`` or ``SPAP_FAULTS_EXEC=1``, and then through
``subprocess.run([sys.executable, "-m", "spap_lib", ...])``; papermill steps always run ``python -m
papermill``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import http.server
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
ALWAYS_EXEC = os.environ.get("SPAP_FAULTS_EXEC", "") not in ("", "0")
TIMEOUT_S = 300

# Entries that may start with "." without being leftovers.
KNOWN_DOT_NAMES = frozenset({".downloads", ".complete.json"})


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    for k in ("SPAP_DATA_URL", "RANK", "WORLD_SIZE", "LOCAL_RANK", "PYTEST_CURRENT_TEST"):
        env.pop(k, None)
    env.update(SPAP_OFFLINE="1", TQDM_DISABLE="1", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    return env


# --- results -------------------------------------------------------------------------------------------


@dataclass
class Result:
    argv: list[str]
    rc: int
    out: str
    err: str
    how: str  # "fork" | "exec" | "papermill"

    def __str__(self) -> str:
        return (
            f"$ {' '.join(self.argv)}  [{self.how}]\nexit {self.rc}\n--- stdout\n{self.out[-3000:]}"
            f"\n--- stderr\n{self.err[-6000:]}"
        )

    @property
    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]


def _fsize_limit(limit: int | None) -> Callable[[], None] | None:
    if not limit:
        return None

    def pre() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG: "disk full"
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return pre


def exec_spap(argv: list[str], cwd: Path, env: dict[str, str], fsize: int | None = None) -> Result:
    """``python -m spap_lib ARGV``, a real interpreter."""
    p = subprocess.run(
        [sys.executable, "-m", "spap_lib", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        preexec_fn=_fsize_limit(fsize),
    )
    return Result(["python", "-m", "spap_lib", *argv], p.returncode, p.stdout, p.stderr, "exec")


def exec_papermill(argv: list[str], cwd: Path, env: dict[str, str]) -> Result:
    p = subprocess.run(
        [sys.executable, "-m", "papermill", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    return Result(["python", "-m", "papermill", *argv], p.returncode, p.stdout, p.stderr, "papermill")


class ForkServer:
    """Client of ``forkserver.py`` (started once per session)."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.sock = str(folder / "spap.sock")
        self.logs = folder
        self.env = env
        self._n = 0
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("forkserver.py")), self.sock],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=open(folder / "forkserver.err", "w"),  # noqa: SIM115 - lives as long as the server
            text=True,
        )
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(
                f"fork server did not start: {(folder / 'forkserver.err').read_text()[-3000:]}"
            )

    def run(self, argv: list[str], cwd: Path, env: dict[str, str], fsize: int | None = None) -> Result:
        with self._lock:
            self._n += 1
            n = self._n
        out, err = self.logs / f"{n}.out", self.logs / f"{n}.err"
        req = {
            "argv": argv,
            "cwd": str(cwd),
            "env": env,
            "stdout": str(out),
            "stderr": str(err),
            "fsize": fsize,
        }
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(TIMEOUT_S)
            s.connect(self.sock)
            s.sendall(json.dumps(req).encode() + b"\n")
            f = s.makefile("r")
            pid = json.loads(f.readline())["pid"]
            try:
                status = json.loads(f.readline())["status"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                raise
        return Result(["python", "-m", "spap_lib", *argv], status, out.read_text(), err.read_text(), "fork")

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


# --- a local HTTP server for the downloader ------------------------------------------------------------


class Served:
    """What one path answers: ``body`` with status ``status``; ``claim`` a Content-Length other than the
    body's (a connection cut after ``len(body)`` bytes)."""

    def __init__(self, body: bytes = b"", claim: int | None = None, status: int = 200, delay: float = 0):
        self.body, self.claim, self.status, self.delay = body, claim, status, delay


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, Served] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        item = self.files.get(self.path)
        if item is None or item.status != 200:
            self.send_error(404 if item is None else item.status)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(item.claim if item.claim is not None else len(item.body)))
        self.end_headers()
        if item.delay:  # half now, the rest after a pause (a slow link: time to kill the client)
            half = len(item.body) // 2
            self.wfile.write(item.body[:half])
            self.wfile.flush()
            time.sleep(item.delay)
            self.wfile.write(item.body[half:])
        else:
            self.wfile.write(item.body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client killed mid-transfer (the kill -9 rows) is expected


class HTTPServer:
    def __init__(self) -> None:
        self.files: dict[str, Served] = {}
        handler = type("H", (_Handler,), {"files": self.files})
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- rows ----------------------------------------------------------------------------------------------


@dataclass
class Step:
    """One command. ``argv`` items are formatted with the row's context (``{root}``, ``{data}``, ``{url}``,
    ``{d}`` and what the set-up put in ``ctx.vars``)."""

    argv: Sequence[str]
    code: int = 2
    err: Sequence[str] = ()  # regexes the error line (exit 2) / stderr (otherwise) must match
    out: Sequence[str] = ()  # regexes stdout must match
    tool: str = "spap"  # "spap" | "papermill"
    argparse: bool = False  # exit 2 from argparse: usage lines, then one "...: error: ..." line
    fsize: int | None = None  # RLIMIT_FSIZE in bytes: writes past it fail as on a full disk
    env: dict[str, str] | None = None  # environment variables set for this step (formatted)
    before: Callable[[Ctx], None] | None = None
    keep: Sequence[str] = ()  # files (relative to root) that this step must leave byte-identical
    absent: Sequence[str] = ()  # paths (relative to root) that must not exist after this step


@dataclass
class Row:
    id: str
    steps: Sequence[Step] = ()
    setup: Callable[[Ctx], None] | None = None
    check: Callable[[Ctx, list[Result]], None] | None = None
    cleanup: Callable[[Ctx], None] | None = None
    custom: Callable[[Ctx], list[Result]] | None = None  # runs instead of ``steps`` (kill -9)
    allow: Sequence[str] = ()  # glob patterns of dot-names under root that are expected
    real: bool = False  # exec a real interpreter even when the fork server is used
    xfail: str | None = None
    slow: bool = False
    weight: int = 1  # larger rows are started first

    def param(self) -> Any:
        marks = []
        if self.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=self.xfail))
        if self.slow:
            marks.append(pytest.mark.slow)
        return pytest.param(self, id=self.id, marks=marks)


@dataclass
class Ctx:
    row: Row
    d: Path
    data: Path  # shared synthetic data root (read-only for rows)
    templates: dict[str, Path]
    http: HTTPServer
    fork: ForkServer | None
    env: dict[str, str]
    vars: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.d / "root"

    @property
    def cwd(self) -> Path:
        return self.d / "cwd"

    @property
    def url(self) -> str:
        return f"{self.http.url}/{self.row.id}"

    def fmt(self, s: str) -> str:
        """``s`` with ``{root}``, ``{data}``, ``{url}``, ``{d}`` and ``{var}`` replaced; other braces (regex
        counts like ``{64}``) are left alone."""
        names = {
            "root": self.root,
            "data": self.data,
            "url": self.url,
            "d": self.d,
            "repo": REPO,
            **self.vars,
        }
        return re.sub(r"\{(\w+)\}", lambda m: str(names[m[1]]) if m[1] in names else m[0], s)

    def serve(self, path: str, body: bytes = b"", **kw: Any) -> None:
        """Serve ``body`` at ``{url}/path`` (the registry path, e.g. pix2pix/datasets/facades.tar.gz)."""
        self.http.files[f"/{self.row.id}/{path}"] = Served(body, **kw)

    def spap(
        self, argv: Sequence[str], fsize: int | None = None, env: dict[str, str] | None = None
    ) -> Result:
        argv = [self.fmt(a) for a in argv]
        env = {**self.env, **{k: self.fmt(v) for k, v in (env or {}).items()}}
        if self.fork is not None and not self.row.real:
            return self.fork.run(argv, self.cwd, env, fsize)
        return exec_spap(argv, self.cwd, env, fsize)

    def popen(self, argv: Sequence[str]) -> subprocess.Popen:
        """``python -m spap_lib ARGV`` started in the background (a real interpreter: to be killed)."""
        return subprocess.Popen(
            [sys.executable, "-m", "spap_lib", *(self.fmt(a) for a in argv)],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def run_step(self, step: Step) -> Result:
        if step.tool == "papermill":
            return exec_papermill([self.fmt(a) for a in step.argv], self.cwd, self.env)
        return self.spap(step.argv, step.fsize, step.env)


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` holds; fail if it exits first."""
    t0 = time.monotonic()
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(
                f"the process ended (exit {proc.returncode}) before {what}:\n{err.decode()[-3000:]}"
            )
        assert time.monotonic() - t0 < timeout, f"no {what} after {timeout} s"
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, f"exit {proc.returncode}: not killed"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (symlinks as ``link:target``)."""
    out = {}
    if not folder.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        for n in filenames + [x for x in dirnames if os.path.islink(os.path.join(dirpath, x))]:
            p = Path(dirpath, n)
            rel = p.relative_to(folder).as_posix()
            out[rel] = f"link:{os.readlink(p)}" if p.is_symlink() else sha(p)
    return out


def leftovers(root: Path, allow: Sequence[str] = ()) -> list[str]:
    """Temporary files/folders and partial downloads under ``root`` (relative paths)."""
    bad = []
    if not root.exists():
        return bad
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            rel = Path(dirpath, n).relative_to(root).as_posix()
            if any(fnmatch.fnmatchcase(n, a) or fnmatch.fnmatchcase(rel, a) for a in allow):
                continue
            if (n.startswith(".") and n not in KNOWN_DOT_NAMES) or n.endswith(".part") or ".tmp" in n:
                bad.append(rel)
    return sorted(bad)


def error_line(res: Result, argparse_error: bool = False) -> str:
    """The one error line of an exit-2 result (asserting that it is the only one)."""
    lines = res.err_lines
    if argparse_error:
        errors = [ln for ln in lines if ": error: " in ln]
        assert len(errors) == 1 and lines[-1] == errors[0], f"not one argparse error line:\n{res}"
        assert all(ln.startswith(("usage:", " ")) for ln in lines[:-1]), f"unexpected stderr lines:\n{res}"
        return errors[0]
    assert len(lines) == 1, f"stderr is not one line:\n{res}"
    assert lines[0].startswith("error: "), f"stderr is not an 'error: ' line:\n{res}"
    return lines[0]


def papermill_error(res: Result, out_nb: Path) -> str:
    """The library error that stopped a papermill run: one ``Name: message`` line, a SpapError subclass."""
    from spap_lib import errors

    last = res.err_lines[-1] if res.err_lines else ""
    m = re.match(r"^(\w+): (.+)$", last)
    assert m, f"papermill's last line is not 'ErrorType: message':\n{res}"
    cls = getattr(errors, m.group(1), None)
    assert isinstance(cls, type) and issubclass(cls, errors.SpapError), f"not a SpapError:\n{res}"
    nb = json.loads(out_nb.read_text())
    errs = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert len(errs) == 1 and errs[0]["ename"] == m.group(1), f"the notebook's error differs:\n{res}"
    assert "\n" not in errs[0]["evalue"], f"multi-line error: {errs[0]['evalue']!r}"
    return last


def check_result(ctx: Ctx, step: Step, res: Result) -> None:
    assert res.rc == step.code, f"exit {res.rc}, expected {step.code}:\n{res}"
    if step.tool == "papermill":
        if step.code == 0:
            assert "Traceback" not in res.out + res.err, f"a traceback:\n{res}"
        else:
            line = papermill_error(res, ctx.root / "out.ipynb")
            for pat in step.err:
                assert re.search(ctx.fmt(pat), line), f"{pat!r} not in {line!r}"
        return
    assert "Traceback" not in res.out + res.err, f"a traceback:\n{res}"
    if step.code == 2:
        line = error_line(res, step.argparse)
        for pat in step.err:
            assert re.search(ctx.fmt(pat), line), f"{pat!r} not in the error line {line!r}\n{res}"
    else:
        assert all(ln.startswith("notice: ") for ln in res.err_lines), f"stderr is not only notices:\n{res}"
        for pat in step.err:
            assert re.search(ctx.fmt(pat), res.err), f"{pat!r} not in stderr:\n{res}"
    for pat in step.out:
        assert re.search(ctx.fmt(pat), res.out), f"{pat!r} not in stdout:\n{res}"


def execute(ctx: Ctx) -> list[Result]:
    """Set up and run a row (in a worker thread); the checks that need the moment of a step run here too,
    the rest in :func:`verify`. Raises AssertionError with the transcript on a failed check."""
    row = ctx.row
    ctx.root.mkdir(parents=True)
    ctx.cwd.mkdir()
    try:
        if row.setup:
            row.setup(ctx)
        ctx.vars["_outside"] = sorted(os.listdir(ctx.d))
        if row.custom:
            return row.custom(ctx)
        results = []
        for step in row.steps:
            if step.before:
                step.before(ctx)
            kept = {k: sha(ctx.root / k) for k in step.keep}
            res = ctx.run_step(step)
            results.append(res)
            check_result(ctx, step, res)
            for k, h in kept.items():
                assert (ctx.root / k).is_file() and sha(ctx.root / k) == h, f"{k} changed:\n{res}"
            for a in step.absent:
                assert not os.path.lexists(ctx.root / a), f"{a} exists:\n{res}"
        return results
    finally:
        if row.cleanup:
            row.cleanup(ctx)


def verify(ctx: Ctx, results: list[Result], data_before: dict[str, str]) -> None:
    row = ctx.row
    where = "\n\n".join(map(str, results))
    assert sorted(os.listdir(ctx.d)) == ctx.vars["_outside"], f"written outside root: {os.listdir(ctx.d)}"
    assert not os.listdir(ctx.cwd), f"written in the working folder: {os.listdir(ctx.cwd)}\n{where}"
    left = leftovers(ctx.root, row.allow)
    assert not left, f"leftovers under the root: {left}\n{where}"
    assert tree(ctx.data) == data_before, "the shared data root changed"
    if row.check:
        row.check(ctx, results)


def copy_template(ctx: Ctx, name: str, dest: str = "run") -> Path:
    """A copy of a template run folder (``conftest._templates``) at ``root/dest``."""
    out = ctx.root / dest
    shutil.copytree(ctx.templates[name], out)
    return out


def run_log(run: Path) -> list[dict]:
    return [json.loads(ln) for ln in (run / "log.jsonl").read_text().splitlines() if ln.strip()]
