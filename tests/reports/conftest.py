"""Fixtures for the reports tests: smoke runs trained once per session in a temporary data root."""

from __future__ import annotations

import pytest
import torch

from spap_lib.metrics.backbones import Backbone
from spap_lib.reports import evaluate


def _tiny_backbone() -> Backbone:
    torch.manual_seed(123)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 4, 2, 1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 4, 2, 1),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
    ).eval()
    return Backbone("synth", "tiny-reports", "FD-synth", "KD-synth", 32, lambda x: net(x / 127.5 - 1))


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory):
    """One smoke SNDCGAN run and one smoke CycleGAN run per translation dataset, evaluated."""
    from spap_lib.reports.experiments import run_experiment

    mp = pytest.MonkeyPatch()
    mp.setenv("SPAP_OFFLINE", "1")
    mp.setattr(evaluate, "select_backbone", lambda kind, root: _tiny_backbone())
    root = tmp_path_factory.mktemp("smoke")
    data, runs = root / "data", root / "runs"
    out = {"data": data, "runs": runs}
    out["gan"] = run_experiment(
        "gan", "spap_c2f", 0, "smoke", str(data), str(runs / "sndcgan-spap_c2f-s0"), cache_root=str(data)
    )
    for dataset in ("streets", "maps"):
        name = f"cyclegan-{dataset}-spap_c2f"
        out[dataset] = run_experiment(
            "cyclegan", "spap_c2f", 0, "smoke", str(data), str(runs / name), dataset, cache_root=str(data)
        )
    yield out
    mp.undo()
