"""``python -m spap_lib data download`` against a local HTTP server (never the internet): cut connections, bad
hashes, hostile archives, half-downloaded datasets, a full disk, a killed download. After each row: no
``.part``, no extraction folder, nothing outside the root, an earlier dataset intact."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile

import pytest
from archive_bytes import tar_gz as tar
from faultkit import Ctx, Result, Row, Step, check_result, kill_when

PATH = "pix2pix/datasets/facades.tar.gz"
DL = ["data", "download", "facades", "--root", "{root}", "--base-url", "{url}"]


GOOD = tar({"facades/train/1.png": b"png-bytes", "facades/test/2.png": b"more"})
OTHER = tar({"facades/train/1.png": b"new-png-bytes"})
BIG = tar({"facades/train/big.png": os.urandom(40_000)})  # incompressible: > the full-disk limit
HUGE = tar({"facades/train/1.png": b"png-bytes", "facades/train/big.png": os.urandom(300_000)})
MANY = tar({f"facades/train/{i:05d}.png": b"x" for i in range(4000)})  # extraction takes a while


def serve(body: bytes, **kw):
    def setup(ctx: Ctx) -> None:
        ctx.serve(PATH, body, **kw)

    return setup


def then(*fns):
    def setup(ctx: Ctx) -> None:
        for f in fns:
            f(ctx)

    return setup


def nothing_installed(ctx: Ctx, results: list[Result]) -> None:
    assert not (ctx.root / "facades").exists()
    downloads = ctx.root / ".downloads"
    assert not downloads.exists() or not [p.name for p in downloads.iterdir()], list(downloads.iterdir())


def nothing_escaped(ctx: Ctx, results: list[Result]) -> None:
    nothing_installed(ctx, results)
    for where in (ctx.d, ctx.d.parent, ctx.root):
        assert not (where / "evil.txt").exists() and not (where / "escaped.txt").exists()


def installed(ctx: Ctx, results: list[Result]) -> None:
    out = ctx.root / "facades"
    assert (out / ".complete.json").is_file() and (out / "train" / "1.png").read_bytes() == b"png-bytes"
    assert not (ctx.root / ".downloads" / "facades.tar.gz").exists()  # the archive is not kept


def new_version_installed(ctx: Ctx, results: list[Result]) -> None:
    assert (ctx.root / "facades" / "train" / "1.png").read_bytes() == b"new-png-bytes"
    assert not (ctx.root / "facades" / "test").exists()  # the old copy was swapped out whole


def root_empty(ctx: Ctx, results: list[Result]) -> None:
    assert not os.listdir(ctx.root), os.listdir(ctx.root)


def half_extracted(ctx: Ctx) -> None:
    (ctx.root / "facades" / "train").mkdir(parents=True)
    (ctx.root / "facades" / "train" / "1.png").write_bytes(b"half")


def stale_part(ctx: Ctx) -> None:
    (ctx.root / ".downloads").mkdir()
    (ctx.root / ".downloads" / "facades.tar.gz.part").write_bytes(b"half an archive from yesterday")


def changed_on_server(ctx: Ctx) -> None:
    ctx.serve(PATH, OTHER)


# --- kill -9 -------------------------------------------------------------------------------------------


def killed_download(ctx: Ctx) -> list[Result]:
    """A download killed mid-transfer leaves a .part; the same command afterwards completes and cleans it."""
    ctx.serve(PATH, HUGE, delay=30)
    proc = ctx.popen(DL)
    part = ctx.root / ".downloads" / "facades.tar.gz.part"
    kill_when(proc, lambda: part.is_file() and part.stat().st_size > 0, "the .part file")
    assert part.is_file() and not (ctx.root / "facades").exists()
    ctx.serve(PATH, HUGE)
    res = ctx.spap(DL)
    check_result(ctx, Step(DL, 0, out=[r"facades"]), res)
    installed(ctx, [res])
    return [res]


def killed_extraction(ctx: Ctx) -> list[Result]:
    """A download killed while extracting leaves its hidden extraction folder; the next one removes it."""
    ctx.serve(PATH, MANY)
    proc = ctx.popen(DL)
    seen = []

    def extracting() -> bool:
        seen[:] = [p.name for p in ctx.root.glob(".facades.*")] if ctx.root.is_dir() else []
        return bool(seen)

    kill_when(proc, extracting, "the extraction folder")
    assert not (ctx.root / "facades").exists()
    res = ctx.spap(DL)
    check_result(ctx, Step(DL, 0, out=[r"facades"]), res)
    assert (ctx.root / "facades" / "train" / "03999.png").is_file()
    assert not [p for p in seen if (ctx.root / p).exists()], f"left: {seen}"
    return [res]


def live_extraction(ctx: Ctx) -> None:
    """Another process (alive) is extracting facades under the same root: its folder must be left alone."""
    from spap_lib.data.download import temp_token

    ctx.serve(PATH, GOOD)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    ctx.vars["sleeper"] = sleeper
    token = f"{sleeper.pid}-{temp_token().partition('-')[2]}"
    ctx.vars["busy"] = busy = f".facades.{token}.k2j4"
    (ctx.root / busy / "facades").mkdir(parents=True)
    (ctx.root / busy / "facades" / "1.png").write_bytes(b"being written")


def stop_sleeper(ctx: Ctx) -> None:
    sleeper = ctx.vars.get("sleeper")
    if sleeper is not None:
        sleeper.kill()
        sleeper.wait()


def busy_kept(ctx: Ctx, results: list[Result]) -> None:
    installed(ctx, results)
    assert (ctx.root / ctx.vars["busy"] / "facades" / "1.png").read_bytes() == b"being written"


ZERO = "0" * 64

ROWS = [
    Row("good-download", [Step(DL, 0, out=[r"/root/facades$"])], setup=serve(GOOD), check=installed),
    Row(
        "cut-connection",
        [
            Step(
                DL,
                2,
                [
                    r"facades.tar.gz: truncated download: got \d+ of \d+ bytes",
                    r"nothing was kept, re-run to retry",
                ],
            )
        ],
        setup=serve(GOOD, claim=2 * len(GOOD)),
        check=nothing_installed,
    ),
    Row(
        "wrong-sha256",
        [
            Step(
                DL + ["--sha256", ZERO],
                2,
                [
                    r"SHA-256 mismatch: got [0-9a-f]{64}, expected 0{64} \(--sha256\)",
                    r"check the --sha256 value",
                ],
            )
        ],
        setup=serve(GOOD),
        check=nothing_installed,
    ),
    Row(
        "sha256-typo",
        [
            Step(
                DL + ["--sha256", "abc123"],
                2,
                [r"--sha256 'abc123' is not a SHA-256 \(64 hex digits\)", r"pass the whole hash"],
            )
        ],
        setup=serve(GOOD),
        check=nothing_installed,
    ),
    Row(
        "server-file-changed",  # trust on first use: the record of the first download is the reference
        [
            Step(DL, 0),
            Step(
                DL + ["--force"],
                2,
                [
                    r"SHA-256 mismatch: .*\(.*facades.tar.gz.sha256.json\)",
                    r"if that is expected, pass --sha256 [0-9a-f]{64}",
                ],
                before=changed_on_server,
                keep=("facades/train/1.png", "facades/.complete.json"),
            ),
            # the advice works
            Step(DL + ["--force", "--sha256", hashlib.sha256(OTHER).hexdigest()], 0),
        ],
        setup=serve(GOOD),
        check=new_version_installed,
    ),
    Row(
        "member-with-dotdot",
        [
            Step(
                DL,
                2,
                [r"refusing to extract .*member '\.\./\.\./evil\.txt' contains '\.\.'", r"unsafe archive"],
            )
        ],
        setup=serve(tar({"facades/train/1.png": b"ok", "../../evil.txt": b"pwned"})),
        check=nothing_escaped,
    ),
    Row(
        "symlink-chain-escape",  # each link alone stays inside; l3 through l2 leads out
        [
            Step(
                DL,
                2,
                [r"refusing to extract .*member 'facades/l2/l3' is a link to '\.\.', which leads outside"],
            )
        ],
        setup=serve(
            tar(
                {"facades/train/1.png": b"ok"},
                [
                    ("facades/l1", ".", tarfile.SYMTYPE),
                    ("facades/l2", "..", tarfile.SYMTYPE),
                    ("facades/l2/l3", "..", tarfile.SYMTYPE),
                    ("facades/l2/l3/escaped.txt", "facades/train/1.png", tarfile.LNKTYPE),
                ],
            )
        ),
        check=nothing_escaped,
    ),
    Row(
        "symlink-escapes-after-install",  # inside the extraction folder, outside the installed dataset
        [Step(DL, 2, [r"refusing to install facades: link 'up' leads outside the dataset folder"])],
        setup=serve(tar({"facades/train/1.png": b"ok"}, [("facades/up", "..", tarfile.SYMTYPE)])),
        check=nothing_escaped,
    ),
    Row(
        "absolute-symlink",
        [Step(DL, 2, [r"member 'facades/etc' is a link to the absolute path '/etc'"])],
        setup=serve(tar({"facades/train/1.png": b"ok"}, [("facades/etc", "/etc", tarfile.SYMTYPE)])),
        check=nothing_escaped,
    ),
    Row(
        "corrupt-archive",
        [Step(DL, 2, [r"facades.tar.gz is corrupt or truncated", r"download again"])],
        setup=serve(GOOD[: len(GOOD) // 2]),
        check=nothing_installed,
    ),
    Row(
        "not-found",
        [
            Step(
                DL,
                2,
                [r"download of .*facades.tar.gz failed \(HTTP Error 404", r"check the network or --base-url"],
            )
        ],
        check=nothing_installed,
    ),
    Row(
        "connection-refused",
        [
            Step(
                DL[:-1] + ["http://127.0.0.1:9"],
                2,
                [
                    r"failed \(<urlopen error \[Errno 111\] Connection refused>\)",
                    r"check the network or --base-url",
                ],
            )
        ],
        check=nothing_installed,
    ),
    Row(
        "base-url-not-http",
        [
            Step(
                DL[:-1] + ["ftp://mirror.example/x"],
                2,
                [
                    r"base URL 'ftp://mirror.example/x' \(from --base-url\) is not an http:// or https:// URL",
                    r"fix it, e.g. http://",
                ],
            )
        ],
        check=nothing_installed,
    ),
    Row(
        "base-url-bad-port",
        [Step(DL[:-1] + ["http://127.0.0.1:99999"], 2, [r"is not an http:// or https:// URL with a host"])],
        check=nothing_installed,
    ),
    Row(
        "env-url-malformed",
        [
            Step(
                DL[:-2],
                2,
                [r"base URL 'not a url' \(from SPAP_DATA_URL\)", r"fix it"],
                env={"SPAP_DATA_URL": "not a url"},
            )
        ],
        check=nothing_installed,
    ),
    Row(
        "download-root-is-file",
        [
            Step(
                ["data", "download", "facades", "--root", "{root}/data", "--base-url", "{url}"],
                2,
                [r"data root .*/root/data is not a folder", r"pass --root a folder"],
                keep=("data",),
            )
        ],
        setup=lambda ctx: (ctx.root / "data").write_text("x"),
    ),
    Row(
        "unknown-download-name",
        [
            Step(
                ["data", "download", "facade", "--root", "{root}"],
                2,
                [r"unknown dataset 'facade'; choose one of .*facades"],
            )
        ],
    ),
    Row(
        "registration-only",  # prints the manual steps, exit 1: nothing was downloaded
        [
            Step(
                ["data", "download", "celeba_hq", "--root", "{root}"],
                1,
                out=[r"CelebA-HQ", r"/celeba_hq/images/"],
            )
        ],
        check=root_empty,
    ),
    Row(
        "half-extracted-dataset",
        [
            Step(
                DL,
                2,
                [r"/root/facades exists but is not a finished download", r"delete it or pass --force"],
                keep=("facades/train/1.png",),
            ),
            Step(DL + ["--force"], 0),
        ],
        setup=then(serve(GOOD), half_extracted),
        check=installed,
    ),
    Row("stale-part-file", [Step(DL, 0)], setup=then(serve(GOOD), stale_part), check=installed),
    Row(
        "disk-full-during-download",
        [
            Step(
                DL,
                2,
                [r"cannot write .*facades.tar.gz.part \(File too large\)", r"free disk space"],
                fsize=20_000,
            )
        ],
        setup=serve(BIG),
        check=nothing_installed,
    ),
    Row("killed-during-download", custom=killed_download, weight=5),
    Row("killed-during-extraction", custom=killed_extraction, weight=5),
    Row(
        "another-process-extracting",
        [Step(DL, 0)],
        setup=live_extraction,
        check=busy_kept,
        cleanup=stop_sleeper,
        allow=(".facades.*.k2j4",),  # the other process's folder: not ours to delete
    ),
]


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_download_fault(row: Row, faults) -> None:
    faults.check(row)
