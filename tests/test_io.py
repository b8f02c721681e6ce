"""spap_lib.io: atomic torch saves give the same bytes for the same tensors, and a failed one leaves nothing."""

import errno
import threading
import time

import pytest
import torch

from spap_lib import io


def test_same_weights_same_file_hash(tmp_path):
    state = {"w": torch.arange(12.0).reshape(3, 4), "b": torch.ones(3)}
    a = io.atomic_save(state, tmp_path / "a" / "weights.pt")
    b = io.atomic_save(state, tmp_path / "b" / "other-name.pt")
    assert io.file_sha256(a) == io.file_sha256(b)  # not named after the random temporary file
    assert torch.equal(torch.load(a, weights_only=True)["w"], state["w"])


def test_failed_save_is_an_oserror_and_leaves_no_file(tmp_path, monkeypatch):
    def broken(obj, f):
        raise RuntimeError("[enforce fail at inline_container.cc] . unexpected pos 64 vs 0")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError) as err:
        io.atomic_save({"w": torch.ones(1)}, tmp_path / "weights.pt")
    assert err.value.errno == errno.EIO
    assert list(tmp_path.iterdir()) == []


def test_exclusive_makes_a_second_holder_wait(tmp_path):
    lock, events = tmp_path / "sub" / ".x.lock", []
    entered = threading.Event()

    def first():
        with io.exclusive(lock):
            events.append("first in")
            entered.set()
            time.sleep(0.3)
            events.append("first out")

    t = threading.Thread(target=first)
    t.start()
    entered.wait()
    with io.exclusive(lock):  # another open file: flock makes it wait even within one process
        events.append("second in")
    t.join()
    assert events == ["first in", "first out", "second in"]
    assert not lock.exists()  # the holder deletes it on leaving: nothing is left behind


def test_exclusive_stays_exclusive_while_holders_delete_the_file(tmp_path):
    lock, inside, overlaps = tmp_path / ".x.lock", [0], []

    def worker():
        for _ in range(30):
            with io.exclusive(lock):
                inside[0] += 1
                overlaps.append(inside[0])
                time.sleep(0.001)
                inside[0] -= 1

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(overlaps) == 90 and max(overlaps) == 1
    assert not lock.exists()


@pytest.mark.parametrize("name", ["../x", "a/b", "a\\b", "..", ".", "/abs", "", " "])
def test_check_name_refuses_what_is_not_one_path_component(name):
    from spap_lib.errors import ConfigError

    with pytest.raises(ConfigError, match="segmenter name"):
        io.check_name("segmenter", name)


def test_check_name_keeps_a_plain_name():
    assert io.check_name("run", "synth-streets_v1.2") == "synth-streets_v1.2"


@pytest.mark.parametrize(
    ("text", "message"),
    [("[1]", "holds a JSON array, not a JSON object"), ("{", "is not valid JSON"), ("{}", "lacks 'k'")],
)
def test_read_json_checked_names_the_file_and_the_fix(tmp_path, text, message):
    from spap_lib.errors import DataError

    (tmp_path / "c.json").write_text(text)
    with pytest.raises(DataError, match=f"c.json {message}.*: rebuild it"):
        io.read_json_checked(tmp_path / "c.json", dict, "rebuild it", keys=("k",))


def test_list_images_refuses_an_unreadable_subfolder(tmp_path, monkeypatch):
    """A subfolder that cannot be listed (permissions; simulated, the tests may run as root) is an error, never
    skipped: a score over the readable half would be silent."""
    import os

    from spap_lib.errors import DataError

    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.png").write_bytes(b"x")
    (tmp_path / "locked").mkdir()
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DataError, match=r"cannot read the folder .*locked \(Permission denied\)"):
        io.list_images(tmp_path, recursive=True)


def test_remove_tree_removes_read_only_folders(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "f").write_text("x")
    os_mod = __import__("os")
    os_mod.chmod(tmp_path / "d" / "sub", 0o555)
    io.remove_tree(tmp_path / "d")
    assert not (tmp_path / "d").exists()
