"""Run-folder faults: a second process, a crash's leftovers, damaged files, a full disk -- one line each,
and nothing a run wrote is lost."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest
import torch

import spap_lib.training.rundir as rundir
from spap_lib.errors import ConfigError, DataError
from spap_lib.training import make_config, train_gan


def _config(**kw):
    return make_config("gan", "smoke", {"variant": "vanilla", "progress": False, **kw})


def test_second_process_is_refused_and_a_stale_lock_is_taken_over(tmp_path, faces):
    run = tmp_path / "r"
    run.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (run / ".lock").write_text(rundir.lock_text(sleeper.pid))
        with pytest.raises(ConfigError, match=f"in use by process {sleeper.pid}"):
            train_gan(_config(), run, dataset=faces)
    finally:
        sleeper.kill()
        sleeper.wait()
    train_gan(_config(), run, dataset=faces)  # its process is gone: the lock is stale, taken over
    assert (run / "summary.json").exists() and not (run / ".lock").exists()


def test_resume_without_config_json_checks_the_checkpoint_recipe(tmp_path, faces):
    run = tmp_path / "r"
    train_gan(_config(), run, dataset=faces, until_step=3)
    (run / "config.json").unlink()
    with pytest.raises(ConfigError, match="lr_d"):
        train_gan(_config(lr_d=1e-3), run, dataset=faces)
    train_gan(_config(), run, dataset=faces)  # the same recipe resumes
    assert json.loads((run / "summary.json").read_text())["resumed_at_step"] == 3


def test_torn_last_log_line_is_dropped_and_leftover_temporaries_cleaned(tmp_path, faces, capsys):
    run = tmp_path / "r"
    train_gan(_config(), run, dataset=faces, until_step=3)
    with open(run / "log.jsonl", "a") as f:
        f.write('{"step": 4, "loss_D": 1.3')  # a crash in the middle of a line
    tmp = run / "checkpoints" / ".last.pt.abc123.tmp"
    tmp.write_bytes(b"half a checkpoint")
    train_gan(_config(), run, dataset=faces)
    assert "dropped the cut last line" in capsys.readouterr().err
    steps = [json.loads(ln)["step"] for ln in (run / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 7)) and not tmp.exists()


def test_damaged_files_are_one_line_errors(tmp_path, faces):
    run = tmp_path / "r"
    train_gan(_config(), run, dataset=faces, until_step=3)
    (run / "config.json").write_text("{not json")
    with pytest.raises(DataError, match="config.json is not valid JSON"):
        train_gan(_config(), run, dataset=faces)
    (run / "config.json").unlink()
    lines = (run / "log.jsonl").read_text().splitlines()
    (run / "log.jsonl").write_text("garbage\n" + "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 1 is not JSON"):
        train_gan(_config(), run, dataset=faces)
    (run / "checkpoints" / "last.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="cannot read checkpoint"):
        train_gan(_config(), run, dataset=faces)


def test_run_dir_that_is_a_file(tmp_path, faces):
    (tmp_path / "f").write_text("x")
    for bad in (tmp_path / "f", tmp_path / "f" / "sub"):
        with pytest.raises(ConfigError, match="is a file"):
            train_gan(_config(), bad, dataset=faces)


def test_full_disk_keeps_the_last_checkpoint(tmp_path, faces, monkeypatch):
    run = tmp_path / "r"
    train_gan(_config(), run, dataset=faces, until_step=3)
    before = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"]

    def full(obj, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(rundir, "atomic_save", full)
    with pytest.raises(DataError, match="No space left on device.*free disk space") as err:
        train_gan(_config(), run, dataset=faces)
    assert "\n" not in str(err.value)
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["step"] == before
    monkeypatch.undo()
    train_gan(_config(), run, dataset=faces)  # the advice works: the same command resumes
    assert json.loads((run / "summary.json").read_text())["steps"] == 6
