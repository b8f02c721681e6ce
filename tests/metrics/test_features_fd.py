import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from cleanfid.fid import compute_fid
from PIL import Image

import spap_lib.metrics.stats as stats_mod
from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics import (
    fd_from_features,
    folder_features,
    frechet_distance_features,
    image_features,
    reference_stats,
)

Z = 6


def _gen(z: torch.Tensor) -> torch.Tensor:
    """A fixed 'generator': z -> (B, 3, 24, 24) in [0, 255] (smooth, non-integer values)."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 24), torch.linspace(0, 1, 24), indexing="ij")
    img = [torch.sin(3 * z[:, i, None, None] * xx + z[:, i + 3, None, None] * yy) for i in range(3)]
    return (torch.stack(img, 1) + 1) * 127.5


def test_generated_images_in_memory_equal_their_saved_pngs(tiny_backbone, tmp_path, write_images):
    """Scoring generated images in memory (rounded to uint8) == clean-fid's folder path on their PNGs."""
    x = _gen(torch.randn((20, Z), generator=torch.Generator().manual_seed(3)))
    imgs = np.clip(np.rint(x.numpy().transpose(0, 2, 3, 1)), 0, 255).astype(np.uint8)
    write_images(tmp_path / "samples", imgs)
    from_memory = image_features(imgs, tiny_backbone, batch_size=16)
    from_files = folder_features(tmp_path / "samples", tiny_backbone, batch_size=16)
    assert from_memory.shape == (20, 8)
    np.testing.assert_array_equal(from_memory, from_files)


def test_folder_fd_matches_cleanfid_compute_fid(tiny_backbone, tmp_path, random_images, write_images):
    write_images(tmp_path / "a", random_images[:20])
    write_images(tmp_path / "b", random_images[20:])
    theirs = compute_fid(
        str(tmp_path / "a"),
        str(tmp_path / "b"),
        mode="clean",
        batch_size=8,
        custom_feat_extractor=tiny_backbone,
        custom_fn_resize=tiny_backbone.resize,
        device=torch.device("cpu"),
        num_workers=0,
        verbose=False,
    )
    a, b = (folder_features(tmp_path / d, tiny_backbone) for d in ("a", "b"))
    assert frechet_distance_features(a, b) == pytest.approx(theirs, rel=1e-5)


def test_side_and_resolution_transforms(tiny_backbone, tmp_path, random_images, write_images):
    pairs = np.concatenate([random_images[:6], random_images[6:12]], axis=2)  # (6, 32, 64, 3)
    write_images(tmp_path / "pairs", pairs)
    a = folder_features(tmp_path / "pairs", tiny_backbone, side="A")
    b = folder_features(tmp_path / "pairs", tiny_backbone, side="B")
    np.testing.assert_allclose(a, image_features(random_images[:6], tiny_backbone), rtol=1e-6)
    np.testing.assert_allclose(b, image_features(random_images[6:12], tiny_backbone), rtol=1e-6)
    small = folder_features(tmp_path / "pairs", tiny_backbone, side="A", resolution=16)
    assert not np.allclose(small, a)
    with pytest.raises(ConfigError, match="side"):
        folder_features(tmp_path / "pairs", tiny_backbone, side="left")


def test_reference_stats_cache(tiny_backbone, tmp_path, random_images, monkeypatch, write_images):
    write_images(tmp_path / "ref", random_images)
    ref = reference_stats(tiny_backbone, "rand", "test", 32, folder=tmp_path / "ref", root=tmp_path)
    assert ref.path == tmp_path / "stats" / "tiny-test" / "rand-r32-test.npz"
    assert ref.n == 40 and ref.feats.shape == (40, 8) and ref.metric == "FD-synth"
    assert not list(ref.path.parent.glob("*.tmp"))
    real = stats_mod.folder_features
    monkeypatch.setattr(stats_mod, "folder_features", lambda *a, **k: pytest.fail("recomputed"))
    hit = reference_stats(tiny_backbone, "rand", "test", 32, folder=tmp_path / "ref", root=tmp_path)
    np.testing.assert_array_equal(hit.mu, ref.mu)
    np.testing.assert_array_equal(hit.sigma, ref.sigma)
    monkeypatch.setattr(stats_mod, "folder_features", real)
    Image.fromarray(random_images[0]).save(tmp_path / "ref" / "extra.png")
    changed = reference_stats(tiny_backbone, "rand", "test", 32, folder=tmp_path / "ref", root=tmp_path)
    assert changed.n == 41
    with pytest.raises(DataError, match="does not exist"):
        reference_stats(tiny_backbone, "x", "test", 32, folder=tmp_path / "nope", root=tmp_path)


def test_runs_asking_together_compute_the_statistics_once(
    tiny_backbone, tmp_path, random_images, monkeypatch, write_images
):
    write_images(tmp_path / "ref", random_images)
    real, calls = stats_mod.folder_features, []

    def counted(*a, **k):
        calls.append(1)
        time.sleep(0.3)  # the other caller arrives while this one computes
        return real(*a, **k)

    monkeypatch.setattr(stats_mod, "folder_features", counted)
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(reference_stats, tiny_backbone, "rand", "test", 32, tmp_path / "ref", root=tmp_path)
            for _ in range(2)
        ]
        a, b = (f.result() for f in futures)
    assert len(calls) == 1
    np.testing.assert_array_equal(a.sigma, b.sigma)


def test_fd_results_carry_the_metric_name(tiny_backbone, tmp_path, random_images, write_images):
    write_images(tmp_path / "ref", random_images)
    ref = reference_stats(tiny_backbone, "rand", "test", 32, folder=tmp_path / "ref", root=tmp_path)
    same = fd_from_features(ref.feats, ref, tiny_backbone)
    assert abs(same.value) < 1e-3
    d = same.as_dict()
    assert d["metric"] == "FD-synth" and "FD-synth" in d and "KD-synth" in d
    assert not any("FID" in k for k in d)
    moved = fd_from_features(
        image_features(np.roll(random_images, 7, axis=2), tiny_backbone), ref, tiny_backbone
    )
    assert moved.value > 100 * max(abs(same.value), 1e-6) and moved.n == 40
    assert moved.kernel_value is not None and moved.as_dict()["n_ref"] == 40
