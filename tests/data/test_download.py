"""Downloader against a local HTTP server on 127.0.0.1 serving archives made here (never the internet)."""

import hashlib
import http.server
import io
import json
import tarfile
import threading
import zipfile

import pytest
from archive_bytes import tar_gz

from spap_lib.cli import main
from spap_lib.data.download import REGISTRY, Archive, download, manual_steps, safe_extract
from spap_lib.errors import ConfigError, DataError


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


GOOD = {"facades/train/1.png": b"png-bytes", "facades/test/2.png": b"more"}


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):  # noqa: N802 - http.server API
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        claimed = len(body)
        if self.path.endswith("cut.tar.gz"):  # announce the whole file, send half of it
            body = body[: len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Length", str(claimed))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    files = {}
    handler = type("H", (_Handler,), {"files": files})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    httpd.shutdown()
    httpd.server_close()


def test_registry_and_manual_steps():
    assert set(REGISTRY) == {"facades", "maps", "cityscapes", "horse2zebra"}
    for a in REGISTRY.values():  # unknown values are recorded as unknown, never invented
        assert a.sha256 is None and a.size is None
    assert "celeba_hq/images/" in manual_steps("celeba_hq", "data")
    assert "gtFine_trainvaltest.zip" in manual_steps("cityscapes_official", "data")


def test_good_tar_download_is_idempotent_and_records_hash(server, tmp_path):
    base, files = server
    data = tar_gz(GOOD)
    files["/pix2pix/datasets/facades.tar.gz"] = data
    out = download("facades", tmp_path, base=base)
    assert out == tmp_path / "facades"
    assert (out / "train" / "1.png").read_bytes() == b"png-bytes"
    done = json.loads((out / ".complete.json").read_text())
    assert done["sha256"] == hashlib.sha256(data).hexdigest()
    rec = json.loads((tmp_path / ".downloads" / "facades.tar.gz.sha256.json").read_text())
    assert rec["sha256"] == done["sha256"]
    assert not list((tmp_path / ".downloads").glob("*.part"))
    files.clear()  # a second call does not touch the network
    assert download("facades", tmp_path, base=base) == out
    # trust on first use: a changed file on the server is refused on re-download
    files["/pix2pix/datasets/facades.tar.gz"] = tar_gz({"facades/x.png": b"other"})
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        download("facades", tmp_path, base=base, force=True)
    assert (out / "train" / "1.png").is_file()  # the old copy is untouched


def test_zip_with_env_base_and_expected_hash(server, tmp_path, monkeypatch):
    base, files = server
    data = _zip({"horse2zebra/trainA/h.jpg": b"h", "horse2zebra/trainB/z.jpg": b"z"})
    files["/cyclegan/datasets/horse2zebra.zip"] = data
    monkeypatch.setenv("SPAP_DATA_URL", base)
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        download("horse2zebra", tmp_path, sha256="0" * 64)
    out = download("horse2zebra", tmp_path, sha256=hashlib.sha256(data).hexdigest())
    assert (out / "trainB" / "z.jpg").read_bytes() == b"z"


def test_truncated_transfer_is_never_kept(server, tmp_path):
    base, files = server
    files["/cut.tar.gz"] = tar_gz(GOOD)
    spec = Archive("cut", "cut.tar.gz", "test")
    with pytest.raises(DataError, match="truncated download: got"):
        download("cut", tmp_path, base=base, archive=spec)
    assert not (tmp_path / "cut").exists()
    assert not list((tmp_path / ".downloads").iterdir())


def test_size_mismatch_and_truncated_archive(server, tmp_path):
    base, files = server
    data = tar_gz(GOOD)
    files["/a.tar.gz"] = data[: len(data) // 2]  # served whole, but the archive itself is cut
    with pytest.raises(DataError, match="size mismatch"):
        download("a", tmp_path, base=base, archive=Archive("a", "a.tar.gz", "t", size=len(data)))
    with pytest.raises(DataError, match="corrupt or truncated"):
        download("a", tmp_path, base=base, archive=Archive("a", "a.tar.gz", "t"))
    assert not (tmp_path / "a").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".a.")]  # temp folder removed


def test_zip_slip_refused(server, tmp_path):
    base, files = server
    files["/evil.zip"] = _zip({"ok/file.txt": b"ok", "../../evil.txt": b"pwned"})
    with pytest.raises(DataError, match=r"refusing to extract .*'\.\.'"):
        download("evil", tmp_path / "root", base=base, archive=Archive("evil", "evil.zip", "t"))
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "root" / "evil").exists()


@pytest.mark.parametrize(
    "members, links, match",
    [
        ({"/etc/passwd_copy": b"x"}, (), "absolute path"),
        ({"d/../../x": b"x"}, (), r"'\.\.'"),
        ({"d/f": b"x"}, [("d/link", "../../outside", tarfile.SYMTYPE)], "outside the target"),
        ({"d/f": b"x"}, [("d/abs", "/etc/passwd", tarfile.SYMTYPE)], "absolute path"),
        ({"d/f": b"x"}, [("d/hard", "../x", tarfile.LNKTYPE)], "outside the target"),
        ({"d/f": b"x"}, [("d/fifo", "", tarfile.FIFOTYPE)], "special file"),
    ],
)
def test_unsafe_tar_members_refused(tmp_path, members, links, match):
    arch = tmp_path / "x.tar.gz"
    arch.write_bytes(tar_gz(members, links))
    with pytest.raises(DataError, match=match):
        safe_extract(arch, tmp_path / "out")
    assert not (tmp_path / "out" / "d" / "f").exists()  # nothing written before the check


def test_links_inside_target_are_fine(tmp_path):
    arch = tmp_path / "x.tar.gz"
    arch.write_bytes(tar_gz({"d/f": b"x"}, [("d/s", "f", tarfile.SYMTYPE), ("d/h", "d/f", tarfile.LNKTYPE)]))
    safe_extract(arch, tmp_path / "out")
    assert (tmp_path / "out/d/s").read_bytes() == b"x" and (tmp_path / "out/d/h").read_bytes() == b"x"


def test_not_an_archive_and_bad_names(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello")
    with pytest.raises(DataError, match="neither a zip nor a tar"):
        safe_extract(junk, tmp_path / "o")
    with pytest.raises(ConfigError, match="unknown dataset"):
        download("imagenet", tmp_path)
    with pytest.raises(ConfigError, match="needs registration"):
        download("celeba_hq", tmp_path)


def test_server_down_and_existing_folder(tmp_path):
    (tmp_path / "facades").mkdir()
    with pytest.raises(DataError, match="not a finished download"):
        download("facades", tmp_path, base="http://127.0.0.1:9")
    with pytest.raises(DataError, match="failed"):
        download("maps", tmp_path, base="http://127.0.0.1:9")


def test_cli(server, tmp_path, capsys):
    base, files = server
    files["/pix2pix/datasets/maps.tar.gz"] = tar_gz({"maps/train/1.png": b"1"})
    assert main(["data", "download", "maps", "--root", str(tmp_path), "--base-url", base]) == 0
    assert str(tmp_path / "maps") in capsys.readouterr().out
    assert main(["data", "download", "celeba_hq", "--root", str(tmp_path)]) == 1
    assert f"{tmp_path}/celeba_hq/images/" in capsys.readouterr().out
    assert main(["data", "download", "nope", "--root", str(tmp_path)]) == 2
    assert "unknown dataset" in capsys.readouterr().err


def _only_downloads_left(root):
    """After a refused download: no dataset, no temp folder, no archive, nothing outside the root."""
    assert sorted(p.name for p in root.iterdir()) == [".downloads"]
    assert not list((root / ".downloads").iterdir())


def test_symlink_chain_in_download_refused(server, tmp_path):
    base, files = server
    files["/pix2pix/datasets/facades.tar.gz"] = tar_gz(
        {"facades/train/1.png": b"1"},
        [
            ("facades/a/b/l", "../../..", tarfile.SYMTYPE),
            ("facades/a/b/l/y", "../../../outdir", tarfile.SYMTYPE),
        ],
    )
    (tmp_path / "root").mkdir()
    with pytest.raises(DataError, match="'facades/a/b/l/y' is a link to .* outside the target"):
        download("facades", tmp_path / "root", base=base)
    _only_downloads_left(tmp_path / "root")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]


def test_hardlink_through_chain_copies_nothing_from_outside(server, tmp_path):
    # '..' after the link l starts from l's target (facades/): this names the file above the root
    base, files = server
    root = tmp_path / "root"
    (tmp_path / "secret.txt").write_bytes(b"secret")
    files["/pix2pix/datasets/facades.tar.gz"] = tar_gz(
        {"facades/train/1.png": b"1"},
        [
            ("facades/a/l", "..", tarfile.SYMTYPE),
            ("facades/h.png", "facades/a/l/../../../secret.txt", tarfile.LNKTYPE),
        ],
    )
    with pytest.raises(DataError, match="'facades/h.png' is a hard link .* outside the target"):
        download("facades", root, base=base)
    _only_downloads_left(root)


def test_links_out_of_the_dataset_folder_refused(server, tmp_path):
    # inside the temporary folder, but it would point at the data root once facades/ is moved
    base, files = server
    files["/pix2pix/datasets/facades.tar.gz"] = tar_gz(
        {"facades/train/1.png": b"1"}, [("facades/up", "..", tarfile.SYMTYPE)]
    )
    with pytest.raises(DataError, match="link 'up' leads outside the dataset folder"):
        download("facades", tmp_path, base=base)
    _only_downloads_left(tmp_path)


def test_archive_links_cannot_redirect_our_files(server, tmp_path):
    base, files = server
    files["/pix2pix/datasets/facades.tar.gz"] = tar_gz(
        {"facades/train/1.png": b"1", ".hidden/x.png": b"x"},
        [
            ("facades/.complete.json", "train/1.png", tarfile.SYMTYPE),
            ("facades/train/l", "1.png", tarfile.SYMTYPE),
        ],
    )
    out = download("facades", tmp_path, base=base)
    assert (out / "train/1.png").read_bytes() == b"1"  # the record was not written through the link
    assert not (out / ".complete.json").is_symlink()
    assert json.loads((out / ".complete.json").read_text())["layout"]
    assert (out / "train/l").read_bytes() == b"1"  # links inside the dataset are kept


def test_top_level_link_is_not_followed_out(server, tmp_path):
    base, files = server
    files["/pix2pix/datasets/facades.tar.gz"] = tar_gz(
        {".real/train/1.png": b"1"}, [("facades", ".real", tarfile.SYMTYPE)]
    )
    out = download("facades", tmp_path, base=base)
    assert out.is_dir() and not out.is_symlink()
    assert (out / "facades/train/1.png").read_bytes() == b"1"


@pytest.mark.parametrize(
    "url", ["ftp://x", "not a url", "http://", "https:///path", "http://h:99999", "file:///tmp"]
)
def test_malformed_base_url(tmp_path, capsys, monkeypatch, url):
    with pytest.raises(ConfigError, match="not an http:// or https:// URL with a host"):
        download("maps", tmp_path, base=url)
    assert main(["data", "download", "maps", "--root", str(tmp_path), "--base-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: base URL") and err.count("\n") == 1 and "--base-url" in err
    monkeypatch.setenv("SPAP_DATA_URL", url)
    assert main(["data", "download", "maps", "--root", str(tmp_path)]) == 2
    assert "SPAP_DATA_URL" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing made before the URL was checked


@pytest.mark.parametrize(
    "command",
    [
        ["data", "download", "maps", "--base-url", "http://127.0.0.1:9"],
        ["data", "download", "celeba_hq"],
        ["data", "synth", "faces", "--n", "8", "--size", "16"],
        ["data", "list"],
    ],
)
@pytest.mark.parametrize("below", [False, True])
def test_root_that_is_a_file(tmp_path, capsys, command, below):
    f = tmp_path / "afile"
    f.write_text("not a folder")
    root = f / "sub" if below else f
    assert main([*command, "--root", str(root)]) == 2
    out = capsys.readouterr()
    assert out.err.startswith(f"error: data root {root} is not a folder") and out.err.count("\n") == 1
    assert f.read_text() == "not a folder" and sorted(tmp_path.iterdir()) == [f]
    with pytest.raises(ConfigError, match="is not a folder"):
        download("maps", root, base="http://127.0.0.1:9")


def test_unwritable_root_is_one_line(tmp_path, capsys):
    proc = "/proc/spap-no-such-folder"  # cannot be created, even by root
    assert main(["data", "download", "maps", "--root", proc, "--base-url", "http://h"]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot create {proc}/.downloads")
    assert main(["data", "synth", "faces", "--n", "8", "--size", "16", "--root", proc]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot write the dataset under {proc}")
