import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

import spap_lib.metrics.synth_backbone as sb
from spap_lib.errors import DataError
from spap_lib.metrics import SynthBackboneConfig, image_features, train_synth_backbone
from spap_lib.metrics.backbones import standin_backbone

TINY = SynthBackboneConfig(size=16, width=8, feature_dim=8, steps=4, batch_size=8, datasets=("x",))


def _domains():
    rng = np.random.default_rng(0)
    return {
        "dark": rng.integers(0, 100, (12, 16, 16, 3), dtype=np.uint8),
        "light": rng.integers(150, 256, (12, 16, 16, 3), dtype=np.uint8),
    }


def test_training_is_deterministic():
    net1, log1 = train_synth_backbone(_domains(), TINY)
    net2, log2 = train_synth_backbone(_domains(), TINY)
    for (k, a), (_, b) in zip(net1.state_dict().items(), net2.state_dict().items()):
        assert torch.equal(a, b), k
    assert log1["final_loss"] == log2["final_loss"]
    assert len(log1["classes"]) == 8 and log1["classes"][0] == "dark/rot0"
    init = sb.SynthFeatureNet(8, 8, 8)
    assert not torch.equal(init.embed.weight, net1.embed.weight)  # it did train


def test_cache_roundtrip_gives_identical_features(tmp_path, monkeypatch):
    monkeypatch.setattr(sb, "default_domains", lambda root, config: _domains())
    monkeypatch.setattr(sb, "SynthBackboneConfig", lambda: TINY)
    net, info = sb.load_synth_backbone(tmp_path, TINY, verbose=False)
    folder = tmp_path / "backbones" / "synth-v1"
    assert (folder / "weights.pt").is_file() and info["config"]["steps"] == 4
    assert info["metric"] == "FD-synth"

    def _no_training(*a, **k):
        raise AssertionError("retrained although cached")

    monkeypatch.setattr(sb, "train_synth_backbone", _no_training)
    net2, info2 = sb.load_synth_backbone(tmp_path, TINY)
    assert info2["sha256"] == info["sha256"]
    x = torch.from_numpy(_domains()["dark"]).permute(0, 3, 1, 2).float()
    with torch.no_grad():
        assert torch.equal(net.features(x), net2.features(x))
        assert torch.equal(net2.features(x), net2.features(x))
    assert not list(folder.glob("*.tmp"))


def test_missing_cache_without_training_is_an_error(tmp_path):
    with pytest.raises(DataError, match="backbone-train"):
        sb.load_synth_backbone(tmp_path, TINY, train_if_missing=False)


def test_bad_domain_shape_is_clear():
    with pytest.raises(DataError, match="resize"):
        train_synth_backbone({"a": np.zeros((2, 8, 8, 3), np.uint8)}, TINY)


@pytest.mark.slow
def test_default_backbone_features_are_stable():
    """The cached default stand-in (trains once, minutes) gives identical features on every call."""
    bb = standin_backbone("data")
    assert bb.metric == "FD-synth" and "FID" not in bb.id
    imgs = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    np.testing.assert_array_equal(image_features(imgs, bb), image_features(imgs, bb))


def test_runs_starting_together_train_it_once(tmp_path, monkeypatch):
    monkeypatch.setattr(sb, "default_domains", lambda root, config: _domains())
    trained = []
    real_train = sb.train_synth_backbone

    def counted(domains, config):
        trained.append(1)
        time.sleep(0.3)  # the other caller arrives while this one trains
        return real_train(domains, config)

    monkeypatch.setattr(sb, "train_synth_backbone", counted)
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(sb.load_synth_backbone, tmp_path, TINY, True, False) for _ in range(2)]
        infos = [f.result()[1] for f in futures]
    assert len(trained) == 1
    assert infos[0]["sha256"] == infos[1]["sha256"]
