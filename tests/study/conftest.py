"""A tiny study: the real plan's code at toy scale (16 px, tens of steps), a tiny backbone for every FD."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from spap_lib.metrics.backbones import Backbone
from spap_lib.metrics.segmenter import preset as segmenter_preset
from spap_lib.study import plan, runner


def _tiny_backbone(kind: str, root=None) -> Backbone:
    torch.manual_seed(7)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 4, 2, 1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
    ).eval()
    metric = "FID" if kind == "inception" else "FD-synth"
    return Backbone(
        kind=kind,
        id=f"tiny-{kind}",
        metric=metric,
        kernel_metric="K" + metric[1:],
        input_size=16,
        forward=lambda x: net(x / 127.5 - 1),
    )


@pytest.fixture
def tiny_study(monkeypatch, tmp_path):
    """The study plan shrunk to seconds; returns (archive_root, work_root, data_root)."""
    syn = dict(
        plan.SYNTHESIS.overrides,
        steps=40,
        freeze_steps=16,
        data_n=120,
        image_size=16,
        width=1 / 16,
        sample_every=40,
        checkpoint_every=40,
        n_samples=4,
    )
    tra = dict(
        plan.TRANSLATION.overrides,
        n_epochs=1,
        n_epochs_decay=1,
        freeze_epochs=1,
        max_iters_per_epoch=10,
        data_n=12,
        load_size=32,
        crop_size=32,
        ngf=4,
        ndf=4,
        n_blocks=1,
        sample_every=20,
        checkpoint_every=20,
    )
    parts = {
        "synthesis": replace(plan.SYNTHESIS, overrides=syn, seeds=(0, 1, 2)),
        "translation": replace(plan.TRANSLATION, overrides=tra, seeds=(0, 1, 2)),
        "synthesis64": replace(plan.SYNTHESIS_64, overrides={**syn, "image_size": 24}, seeds=(0, 1)),
        "streets": replace(plan.STREETS, overrides={**tra, "dataset": "streets"}, seeds=(0, 1)),
    }
    monkeypatch.setattr(plan, "SYNTHESIS", parts["synthesis"])
    monkeypatch.setattr(plan, "TRANSLATION", parts["translation"])
    monkeypatch.setattr(plan, "SYNTHESIS_64", parts["synthesis64"])
    monkeypatch.setattr(plan, "STREETS", parts["streets"])
    monkeypatch.setattr(plan, "PARTS", parts)
    monkeypatch.setattr(
        runner, "segmenter_recipe", lambda: segmenter_preset("synth", size=32, steps=4, width=4)
    )
    for name, value in (
        ("FID_N_REFERENCE", 60),
        ("FID_N_GENERATED", 12),
        ("CURVE_N", 12),
        ("FID_VS_N", (6, 12)),
        ("VERIFY_STEPS", 10),
    ):
        monkeypatch.setattr(plan, name, value)
    monkeypatch.setattr(runner, "select_backbone", _tiny_backbone)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    return tmp_path / "archive", tmp_path / "work", tmp_path / "data"
