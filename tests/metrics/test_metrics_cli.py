"""``metrics fd`` and ``metrics psnr-ssim`` on odd inputs: 16-bit images, corrupt files, subfolders.

The backbone is the tiny seeded one of conftest.py (``select_backbone`` is replaced), so no stand-in is
trained here.
"""

import json

import numpy as np
import pytest
from PIL import Image

import spap_lib.metrics.backbones as backbones
from spap_lib.cli import main
from spap_lib.metrics import folder_features, frechet_distance_features, kernel_distance


@pytest.fixture
def tiny(monkeypatch, tiny_backbone):
    monkeypatch.setattr(backbones, "select_backbone", lambda *a, **k: tiny_backbone)
    return tiny_backbone


def _grey(n=12, side=32, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, side, side), dtype=np.uint8)


def _write_16_and_8_bit(tmp_path, grey):
    """The same grey images as 16-bit PNGs (v * 257) in a/ and 8-bit PNGs in b/."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    for i, g in enumerate(grey):
        Image.fromarray(g.astype(np.uint16) * 257).save(tmp_path / "a" / f"{i}.png")
        Image.fromarray(g).save(tmp_path / "b" / f"{i}.png")
    assert Image.open(tmp_path / "a" / "0.png").mode.startswith("I")  # really 16-bit on disk


def _run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _one_error_line(rc, err, *words):
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for w in words:
        assert w in err, err


def test_fd_reads_16_bit_images_like_their_8_bit_copies(tiny, tmp_path, capsys):
    _write_16_and_8_bit(tmp_path, _grey())
    rc, out, err = _run(capsys, "metrics", "fd", str(tmp_path / "a"), str(tmp_path / "b"))
    assert rc == 0, err
    res = json.loads(out)
    assert res["metric"] == "FD-synth" and res["backbone"] == "tiny-test"
    assert abs(res["FD-synth"]) < 1e-3 and abs(res["KD-synth"]) < 1e-3  # was ~400: clipped white
    assert res["n"] == res["n_ref"] == 12 and res["reference"] == str(tmp_path / "b")


def test_fd_matches_the_folder_path_on_8_bit_rgb(tiny, tmp_path, capsys, random_images, write_images):
    write_images(tmp_path / "a", random_images[:20])
    write_images(tmp_path / "b" / "sub", random_images[20:])  # listed recursively
    for extra in ([], ["--resolution", "16"], ["--no-kernel"]):
        rc, out, err = _run(capsys, "metrics", "fd", str(tmp_path / "a"), str(tmp_path / "b"), *extra)
        assert rc == 0, err
        res = json.loads(out)
        resolution = 16 if extra[:1] == ["--resolution"] else None
        # clean-fid's folder path (its own loader) as the reference
        fa, fb = (folder_features(tmp_path / d, tiny, resolution=resolution) for d in ("a", "b"))
        assert res["metric"] == "FD-synth" and (res["n"], res["n_ref"]) == (20, 20)
        assert res["FD-synth"] == pytest.approx(frechet_distance_features(fa, fb), rel=1e-5, abs=1e-6)
        if "--no-kernel" in extra:
            assert res["kernel_value"] is None
        else:
            assert res["KD-synth"] == pytest.approx(kernel_distance(fa, fb), rel=1e-4, abs=1e-7)


BAD_FILES = {
    "garbage.png": b"this is not an image",
    "notes.jpg": b"a text file with an image name",
}


@pytest.mark.parametrize("bad", [*BAD_FILES, "truncated.png"])
def test_fd_bad_image_is_one_line(tiny, tmp_path, capsys, random_images, write_images, bad):
    write_images(tmp_path / "a", random_images[:4])
    write_images(tmp_path / "b", random_images[4:8])
    if bad == "truncated.png":
        whole = (tmp_path / "b" / "00000.png").read_bytes()
        (tmp_path / "b" / bad).write_bytes(whole[: len(whole) // 2])
    else:
        (tmp_path / "b" / bad).write_bytes(BAD_FILES[bad])
    rc, _, err = _run(capsys, "metrics", "fd", str(tmp_path / "a"), str(tmp_path / "b"))
    _one_error_line(rc, err, f"cannot read image {tmp_path / 'b' / bad}")


def test_fd_missing_or_too_small_folders(tiny, tmp_path, capsys, random_images, write_images):
    write_images(tmp_path / "a", random_images[:4])
    write_images(tmp_path / "one", random_images[:1])
    (tmp_path / "empty").mkdir()
    a = str(tmp_path / "a")
    rc, _, err = _run(capsys, "metrics", "fd", a, str(tmp_path / "nope"))
    _one_error_line(rc, err, "dir2 folder", "does not exist")
    rc, _, err = _run(capsys, "metrics", "fd", str(tmp_path / "empty"), a)
    _one_error_line(rc, err, "holds 0 image(s)")
    rc, _, err = _run(capsys, "metrics", "fd", a, str(tmp_path / "one"))
    _one_error_line(rc, err, "holds 1 image(s), 2 or more needed")
    rc, _, err = _run(capsys, "metrics", "fd", a, a, "--resolution", "0")
    _one_error_line(rc, err, "--resolution must be a positive")


def test_psnr_ssim_reads_16_bit_images(tmp_path, capsys):
    _write_16_and_8_bit(tmp_path, _grey(n=3))
    rc, out, err = _run(capsys, "metrics", "psnr-ssim", str(tmp_path / "a"), str(tmp_path / "b"))
    assert rc == 0, err
    res = json.loads(out)
    assert res["n"] == 3 and res["psnr_inf"] == 3 and res["ssim"] == pytest.approx(1.0)
    assert err == ""  # every image has its partner: no notice


def _save(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)


def test_psnr_ssim_pairs_by_relative_path(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x, y = (rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(2))
    # same file name in two subfolders: a name-only pairing would mix them up (and keep one)
    for side in ("out", "tgt"):
        _save(tmp_path / side / "a" / "1.png", x)
        _save(tmp_path / side / "b" / "1.png", y)
    rc, out, err = _run(capsys, "metrics", "psnr-ssim", str(tmp_path / "out"), str(tmp_path / "tgt"))
    assert rc == 0, err
    assert json.loads(out) == {"psnr": float("inf"), "ssim": 1.0, "n": 2, "psnr_inf": 2}


def test_psnr_ssim_unmatched_images_are_reported(tmp_path, capsys):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    for i in range(5):
        _save(tmp_path / "tgt" / f"{i}.png", imgs[i])
    for i in range(3):
        _save(tmp_path / "out" / f"{i}.png", imgs[i])
    _save(tmp_path / "out" / "sub" / "0.png", imgs[5])  # no target at sub/0.png
    rc, out, err = _run(capsys, "metrics", "psnr-ssim", str(tmp_path / "out"), str(tmp_path / "tgt"))
    assert rc == 0 and json.loads(out)["n"] == 3
    assert err.startswith("notice: scoring the 3 matched pairs; 1 output(s) and 2 target(s)")
    assert err.count("\n") == 1


def test_psnr_ssim_errors_are_one_line(tmp_path, capsys):
    img = np.zeros((16, 16, 3), np.uint8)
    _save(tmp_path / "out" / "x.png", img)
    _save(tmp_path / "tgt" / "y.png", img)
    out, tgt = str(tmp_path / "out"), str(tmp_path / "tgt")
    rc, _, err = _run(capsys, "metrics", "psnr-ssim", out, tgt)
    _one_error_line(rc, err, "has a partner at the same relative path")
    (tmp_path / "tgt" / "y.png").unlink()
    _save(tmp_path / "tgt" / "x.png", np.zeros((16, 20, 3), np.uint8))
    rc, _, err = _run(capsys, "metrics", "psnr-ssim", out, tgt)
    _one_error_line(rc, err, f"{tmp_path / 'out' / 'x.png'} is 16x16 but", "x.png is 20x16")
    (tmp_path / "tgt" / "x.png").write_bytes(b"corrupt")
    rc, _, err = _run(capsys, "metrics", "psnr-ssim", out, tgt)
    _one_error_line(rc, err, f"cannot read image {tmp_path / 'tgt' / 'x.png'}")
    rc, _, err = _run(capsys, "metrics", "psnr-ssim", out, str(tmp_path / "nope"))
    _one_error_line(rc, err, "targets folder", "does not exist")
