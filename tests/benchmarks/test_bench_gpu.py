"""benchmarks/bench_gpu.py off the GPU: the refusal without CUDA and the --keep merge of an earlier result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_gpu  # noqa: E402


def _result(**over):
    row = {"kind": "gan", "variant": "vanilla", "precision": "bf16", "channels_last": False, "compile": False}
    base = {
        "device": "GPU X",
        "torch": "2.0",
        "git_commit": "a" * 40,
        "steps": 50,
        "warmup": 10,
        "rows": [row],
    }
    return base | over


def test_refuses_without_cuda(monkeypatch, capsys):
    monkeypatch.setattr(bench_gpu.torch.cuda, "is_available", lambda: False)
    assert bench_gpu.main(["--out", "unused.json"]) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_kept_rows_carry_their_commit_and_need_the_same_setup(tmp_path):
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps(_result()))
    rows = bench_gpu.kept_rows(str(path), _result(git_commit="b" * 40, rows=[]))
    assert rows[0]["git_commit"] == "a" * 40 and bench_gpu.config_of(rows[0])[:2] == ("gan", "vanilla")
    with pytest.raises(SystemExit, match="its device is 'GPU X', this run's 'GPU Y'"):
        bench_gpu.kept_rows(str(path), _result(device="GPU Y"))
    with pytest.raises(SystemExit, match="its steps is 50"):
        bench_gpu.kept_rows(str(path), _result(steps=200))
