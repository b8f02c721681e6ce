import numpy as np
import pytest
import torch
from cleanfid.fid import compute_fid, get_model_features
from PIL import Image

import spap_lib.metrics.stats as stats_mod
from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics import (
    fd_folders,
    fd_from_features,
    fd_generator,
    folder_features,
    generator_features,
    image_features,
    pixel_generator,
    reference_stats,
)

Z = 6


def _gen(z: torch.Tensor) -> torch.Tensor:
    """A fixed 'generator': z -> (B, 3, 24, 24) in [0, 255] (smooth, non-integer values)."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 24), torch.linspace(0, 1, 24), indexing="ij")
    img = [torch.sin(3 * z[:, i, None, None] * xx + z[:, i + 3, None, None] * yy) for i in range(3)]
    return (torch.stack(img, 1) + 1) * 127.5


def test_generator_path_equals_folder_path(tiny_backbone, tmp_path, write_images):
    g = torch.Generator().manual_seed(3)
    imgs = []
    for b in (16, 4):  # generator_features draws batch by batch with the same seeded generator
        x = _gen(torch.randn((b, Z), generator=g)).numpy().transpose(0, 2, 3, 1)
        imgs.append(np.clip(np.rint(x), 0, 255).astype(np.uint8))
    write_images(tmp_path / "samples", np.concatenate(imgs))
    from_gen = generator_features(_gen, tiny_backbone, num=20, z_dim=Z, batch_size=16, seed=3)
    from_files = folder_features(tmp_path / "samples", tiny_backbone, batch_size=16)
    assert from_gen.shape == (20, 8)
    np.testing.assert_array_equal(from_gen, from_files)
    again = generator_features(_gen, tiny_backbone, num=20, z_dim=Z, batch_size=16, seed=3)
    np.testing.assert_array_equal(from_gen, again)


def test_matches_cleanfid_generator_features(tiny_backbone):
    """Same latents as clean-fid's model path (global RNG seeded alike) -> the same features."""
    torch.manual_seed(11)
    theirs = get_model_features(
        _gen, tiny_backbone, mode="clean", z_dim=Z, num_gen=32, batch_size=16,
        device=torch.device("cpu"), verbose=False, custom_fn_resize=tiny_backbone.resize,
    )  # fmt: skip
    ours = generator_features(_gen, tiny_backbone, 32, Z, batch_size=16, seed=11, quantize=False)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    quantized = generator_features(_gen, tiny_backbone, 32, Z, batch_size=16, seed=11)
    assert not np.array_equal(quantized, ours)  # rounding to uint8 is a (small) change
    np.testing.assert_allclose(quantized, ours, atol=0.05)


def test_folder_fd_matches_cleanfid_compute_fid(
    tiny_backbone, tmp_path, random_images, write_images
):
    write_images(tmp_path / "a", random_images[:20])
    write_images(tmp_path / "b", random_images[20:])
    theirs = compute_fid(
        str(tmp_path / "a"), str(tmp_path / "b"), mode="clean", batch_size=8,
        custom_feat_extractor=tiny_backbone, custom_fn_resize=tiny_backbone.resize,
        device=torch.device("cpu"), num_workers=0, verbose=False,
    )  # fmt: skip
    ours = fd_folders(tmp_path / "a", tmp_path / "b", tiny_backbone, kernel=False)
    assert ours.value == pytest.approx(theirs, rel=1e-5)


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
    changed = reference_stats(
        tiny_backbone, "rand", "test", 32, folder=tmp_path / "ref", root=tmp_path
    )
    assert changed.n == 41
    with pytest.raises(DataError, match="does not exist"):
        reference_stats(tiny_backbone, "x", "test", 32, folder=tmp_path / "nope", root=tmp_path)


def test_fd_results_carry_the_metric_name(tiny_backbone, tmp_path, random_images, write_images):
    write_images(tmp_path / "ref", random_images)
    ref = reference_stats(tiny_backbone, "rand", "test", 32, folder=tmp_path / "ref", root=tmp_path)
    same = fd_from_features(ref.feats, ref, tiny_backbone)
    assert abs(same.value) < 1e-3
    d = same.as_dict()
    assert d["metric"] == "FD-synth" and "FD-synth" in d and "KD-synth" in d
    assert not any("FID" in k for k in d)
    folders = fd_folders(tmp_path / "ref", tmp_path / "ref", tiny_backbone)
    assert abs(folders.value) < 1e-3 and folders.metric == "FD-synth"

    def gen32(z):
        return torch.nn.functional.interpolate(_gen(z), size=32, mode="bilinear")

    res = fd_generator(gen32, ref, tiny_backbone, num=40, z_dim=Z, batch_size=16)
    assert (
        res.value > 100 * max(abs(same.value), 1e-6)
        and res.n == 40
        and res.kernel_value is not None
    )
    with pytest.raises(ConfigError, match="resolution"):
        fd_generator(_gen, ref, tiny_backbone, num=8, z_dim=Z)


def test_pixel_generator_maps_tanh_range():
    G = torch.nn.Sequential(
        torch.nn.Linear(2, 3 * 4 * 4), torch.nn.Tanh(), torch.nn.Unflatten(1, (3, 4, 4))
    )
    x = pixel_generator(G)(torch.randn(5, 2))
    assert x.shape == (5, 3, 4, 4) and x.min() >= 0 and x.max() <= 255
