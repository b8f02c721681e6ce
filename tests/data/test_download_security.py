"""safe_extract against crafted archives: link chains, writes through links, hard links, special files.

Each archive is extracted into ``<tmp>/root/out``; every test checks that nothing was created anywhere
(not even ``out``) when the archive is refused, since the whole archive is checked before any write.
"""

import io
import stat
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from spap_lib.data.download import safe_extract
from spap_lib.errors import DataError

SYM, HARD, DIR, FILE = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE, tarfile.REGTYPE


def _tar(entries, mode="w:gz") -> bytes:
    """entries: (name, type, data for files / link target for links)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, kind, arg in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == FILE:
                info.size = len(arg)
                tf.addfile(info, io.BytesIO(arg))
            else:
                if kind in (SYM, HARD):
                    info.linkname = arg
                tf.addfile(info)
    return buf.getvalue()


def _zip(entries) -> bytes:
    """entries: (name, unix file type (stat.S_IF*), data / link target)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are made on purpose
        for name, ftype, arg in entries:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (ftype | 0o644) << 16
            zf.writestr(info, arg)
    return buf.getvalue()


@pytest.fixture
def box(tmp_path):
    """(extract(name, bytes) -> out folder, created() -> every path under tmp_path but the archive)."""
    (tmp_path / "root").mkdir()
    (tmp_path / "secret.txt").write_bytes(b"secret")

    def extract(name: str, data: bytes) -> Path:
        arch = tmp_path / name
        arch.write_bytes(data)
        safe_extract(arch, tmp_path / "root" / "out")
        return tmp_path / "root" / "out"

    def created() -> set[str]:
        keep = {"root", "secret.txt"}
        return {
            str(p.relative_to(tmp_path))
            for p in tmp_path.rglob("*")
            if str(p.relative_to(tmp_path)) not in keep and p.suffix not in (".gz", ".zip", ".tar")
        }

    return extract, created


CHAINS = {
    # the reported one: each link alone stays inside, the second one leads out through the first
    "reported": [("facades/a/b/l", SYM, "../../.."), ("facades/a/b/l/y", SYM, "../../../outdir")],
    # '..' after a link is the parent of the link's target, not a lexical step back
    "dotdot-after-link": [("l1", SYM, "."), ("l1/l2", SYM, "l1/.."), ("l1/l2/newdir", DIR, "")],
    "dotdot-after-link-file": [("l1", SYM, "."), ("l1/l2", SYM, "l1/.."), ("l1/l2/x", FILE, b"x")],
    # a link checked while its first step did not exist yet, redirected by a later member
    "retargeted-later": [("a", SYM, "b/.."), ("b", SYM, ".")],
    "retargeted-then-used": [("a", SYM, "b/.."), ("b", SYM, "."), ("a/x", FILE, b"x")],
    "deep-chain": [
        ("d/l", SYM, ".."),
        ("d/l/e/m", SYM, ".."),
        ("d/l/e/m/n", SYM, ".."),
        ("d/l/e/m/n/f", FILE, b"x"),
    ],
}


@pytest.mark.parametrize("mode", ["w:gz", "w"])
@pytest.mark.parametrize("case", sorted(CHAINS))
def test_symlink_chains_cannot_leave_the_folder(box, case, mode):
    extract, created = box
    with pytest.raises(DataError, match="outside the target folder"):
        extract("x.tar.gz", _tar(CHAINS[case], mode))
    assert created() == set()


def test_symlink_loop_refused(box):
    extract, created = box
    with pytest.raises(DataError, match="symlink loop"):
        extract("x.tar.gz", _tar([("a", SYM, "b"), ("b", SYM, "a"), ("a/f", FILE, b"x")]))
    assert created() == set()


def test_writes_through_links_land_where_the_system_would_put_them(box):
    extract, _ = box
    out = extract(
        "x.tar.gz",
        _tar(
            [
                ("d/f", FILE, b"f"),
                ("d/up", SYM, ".."),  # d/up -> the extraction folder itself
                ("d/up/top.txt", FILE, b"top"),  # written through the link: out/top.txt
                ("d/sub", SYM, "real"),  # dangling until d/sub/ is used: makes d/real/
                ("d/sub/g", FILE, b"g"),
                ("d/s", SYM, "f"),
                ("d/h", HARD, "d/s"),  # a hard link through a symlink: a copy of d/f
            ]
        ),
    )
    assert (out / "top.txt").read_bytes() == b"top" and not (out / "top.txt").is_symlink()
    assert (out / "d/real/g").read_bytes() == b"g" and (out / "d/sub/g").read_bytes() == b"g"
    assert (out / "d/h").read_bytes() == b"f" and not (out / "d/h").is_symlink()


@pytest.mark.parametrize(
    "entries, match",
    [
        # hard link through a chain to a file outside: it would be copied into the dataset
        ([("l", SYM, "."), ("h", HARD, "l/../secret.txt")], "outside the target"),
        ([("h", HARD, "../secret.txt")], "outside the target"),
        ([("h", HARD, "/etc/passwd")], "absolute path"),
        ([("d", DIR, ""), ("h", HARD, "d")], "not a file earlier"),
        ([("h", HARD, "later"), ("later", FILE, b"x")], "not a file earlier"),
        ([("d/s", SYM, "f"), ("h", HARD, "d/s")], "not a file earlier"),  # dangling symlink
    ],
)
def test_hard_links(box, entries, match):
    extract, created = box
    with pytest.raises(DataError, match=match):
        extract("x.tar.gz", _tar(entries))
    assert created() == set()


@pytest.mark.parametrize(
    "entries, match",
    [
        ([("/abs/x", FILE, b"x")], "absolute path"),
        ([("C:/x", FILE, b"x")], "absolute path"),
        ([("a/../../x", FILE, b"x")], r"'\.\.'"),
        ([("a\\..\\..\\x", FILE, b"x")], r"'\.\.'"),
        ([("s", SYM, "/etc")], "absolute path"),
        ([("s", SYM, "../x")], "outside the target"),
        ([("s", SYM, "")], "empty or invalid target"),
        ([("fifo", tarfile.FIFOTYPE, "")], "special file"),
        ([("chr", tarfile.CHRTYPE, "")], "special file"),
        ([("blk", tarfile.BLKTYPE, "")], "special file"),
        ([("d/s", SYM, "f"), ("d/f", FILE, b"f"), ("d/s", FILE, b"new")], "would replace"),
        ([("d", FILE, b"x"), ("d/f", FILE, b"x")], "a file, not a folder"),
        ([("d", FILE, b"x"), ("d", DIR, "")], "is a folder where"),
        ([(".", SYM, "x")], "replace the target folder"),
    ],
)
@pytest.mark.parametrize("mode", ["w:gz", "w:bz2"])
def test_unsafe_tar_members(box, entries, match, mode):
    extract, created = box
    with pytest.raises(DataError, match=match):
        extract("x.tar.gz", _tar([("ok/first.txt", FILE, b"ok"), *entries], mode))
    assert created() == set()  # not even ok/first.txt: nothing is written before the check


@pytest.mark.parametrize(
    "entries, match",
    [
        ([("/abs/x", stat.S_IFREG, b"x")], "absolute path"),
        ([("a/../../x", stat.S_IFREG, b"x")], r"'\.\.'"),
        ([("s", stat.S_IFLNK, b"/etc")], "absolute path"),
        ([("s", stat.S_IFLNK, b"../../x")], "outside the target"),
        ([("a/b/l", stat.S_IFLNK, b"../.."), ("a/b/l/y", stat.S_IFLNK, b"../out")], "outside"),
        ([("l", stat.S_IFLNK, b"."), ("l/x", stat.S_IFLNK, b"l/..")], "outside the target"),
        ([("fifo", stat.S_IFIFO, b"")], "special file"),
        ([("chr", stat.S_IFCHR, b"")], "special file"),
        ([("s", stat.S_IFLNK, b"f"), ("s", stat.S_IFREG, b"new")], "would replace"),
    ],
)
def test_unsafe_zip_members(box, entries, match):
    extract, created = box
    with pytest.raises(DataError, match=match):
        extract("x.zip", _zip([("ok/first.txt", stat.S_IFREG, b"ok"), *entries]))
    assert created() == set()


def test_zip_links_inside_are_kept(box):
    extract, _ = box
    out = extract(
        "x.zip",
        _zip(
            [
                ("d/", stat.S_IFDIR, b""),
                ("d/f", stat.S_IFREG, b"f"),
                ("d/s", stat.S_IFLNK, b"f"),
                ("d/up", stat.S_IFLNK, b".."),
                ("d/up/top", stat.S_IFREG, b"t"),
            ]
        ),
    )
    assert (out / "d/s").is_symlink() and (out / "d/s").read_bytes() == b"f"
    assert (out / "top").read_bytes() == b"t"


def test_non_empty_destination_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old").symlink_to("/")  # an existing link the plan could not know about
    arch = tmp_path / "x.tar.gz"
    arch.write_bytes(_tar([("old/x", FILE, b"x")]))
    with pytest.raises(DataError, match="new or empty folder"):
        safe_extract(arch, tmp_path / "out")
