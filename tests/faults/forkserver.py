"""A pre-imported ``python -m spap_lib``: the fault suite's fast way through the real entry point.

Each ``python -m spap_lib`` pays about 5 s of CPU importing torch, torchvision and the library before it
parses its arguments (measured 2026-11-26: 8 s wall per call with two experiments on the 2 cores). This
server imports all that once, then serves each request in a fresh fork: the child changes to the request's
folder, takes its environment, points fd 0 at /dev/null and fds 1/2 at pipes (copied to the request's
files by the server, as ``subprocess.run(capture_output=True)`` would read them), sets the file-size limit
(a "full disk"), and runs ``spap_lib/__main__.py`` with ``runpy`` exactly as ``python -m`` does
(``sys.argv[0]`` the module's file); an uncaught exception prints its traceback and exits 1, SystemExit
gives the exit status, as the interpreter would. The server never runs a command itself, so every child
starts from the same just-imported state. ``SPAP_FAULTS_EXEC=1`` makes the suite exec every row instead.

Run as ``python forkserver.py SOCKET``; it prints ``ready`` on stdout once it accepts connections.
Protocol: one JSON request line per connection; answers ``{"pid": N}`` then ``{"status": CODE}`` (negative:
killed by that signal).
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import resource
import runpy
import selectors
import signal
import socket
import sys
import traceback

# The entry point, every module that registers a sub-command, and what the commands import when they run
# (the library imports clean-fid and scikit-image only where they are used).
PRELOAD = (
    "spap_lib.cli",
    *importlib.import_module("spap_lib.cli").COMMAND_MODULES,
    "cleanfid.fid",
    "skimage.metrics",
    "spap_lib.training",
    "spap_lib.data.download",
    "spap_lib.metrics.backbones",
    "spap_lib.metrics.features",
    "spap_lib.metrics.image_quality",
    "spap_lib.metrics.synth_backbone",
)


def _exit_code(exc: SystemExit) -> int:
    """The status the interpreter gives ``raise SystemExit(code)``."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _run(req: dict, out: int, err: int) -> None:
    """In the child: become ``python -m spap_lib ARGV`` in the request's folder and environment, with
    stdout/stderr on the pipes ``out``/``err`` (as ``subprocess.run(capture_output=True)``)."""
    code = 1
    try:
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        for new, fd in ((null, 0), (out, 1), (err, 2)):
            os.dup2(new, fd)
            os.close(new)
        if req.get("fsize"):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (req["fsize"], req["fsize"]))
        sys.argv = ["-m", *req["argv"]]  # runpy puts the module's file in argv[0], as python -m does
        code = 0
        try:
            runpy.run_module("spap_lib", run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException:  # noqa: BLE001 - what the interpreter does with an uncaught exception
            code = 1
            traceback.print_exc()
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _drain(pipes: dict[int, str]) -> None:
    """Copy each pipe to its file until every writer has closed it."""
    sel = selectors.DefaultSelector()
    files = {fd: open(path, "wb") for fd, path in pipes.items()}  # noqa: SIM115 - closed below
    for fd in pipes:
        sel.register(fd, selectors.EVENT_READ)
    while sel.get_map():
        for key, _ in sel.select():
            chunk = os.read(key.fd, 1 << 16)
            if chunk:
                files[key.fd].write(chunk)
            else:
                sel.unregister(key.fd)
                os.close(key.fd)
    for f in files.values():
        f.close()


def _handle(conn: socket.socket) -> None:
    req = json.loads(conn.makefile("r").readline())
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    pid = os.fork()
    if pid == 0:
        conn.close()
        os.close(r_out)
        os.close(r_err)
        _run(req, w_out, w_err)
    os.close(w_out)
    os.close(w_err)
    conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    _drain({r_out: req["stdout"], r_err: req["stderr"]})
    _, status = os.waitpid(pid, 0)
    conn.sendall(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode() + b"\n")


def serve(path: str) -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the per-connection handlers reap themselves
    print("ready", flush=True)
    sys.stderr.flush()
    while True:
        conn, _ = srv.accept()
        if os.fork() == 0:
            srv.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # this handler waits for its command
            try:
                _handle(conn)
            finally:
                os._exit(0)
        conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
