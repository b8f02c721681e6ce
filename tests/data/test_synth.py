"""Synthetic datasets: layout, determinism (bytes), caching, class coverage, CLI."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from spap_lib.cli import main
from spap_lib.data import FaceDataset, PairedDataset, UnpairedDataset
from spap_lib.data.palettes import CITYSCAPES_PALETTE, FACADES_PALETTE, colors_to_labels
from spap_lib.data.synth import SYNTH_NAMES, n_test_for, render_item, synthesize
from spap_lib.data.synth.maps import MAP_PALETTE
from spap_lib.data.synth.streets import CLASSES_USED
from spap_lib.errors import ConfigError, DataError


def _bytes(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", SYNTH_NAMES)
def test_layout_and_same_seed_same_bytes(tmp_path, name):
    a = synthesize(name, tmp_path / "a", size=32, n=12, seed=3, workers=1)
    b = synthesize(name, tmp_path / "b", size=32, n=12, seed=3, workers=1)
    c = synthesize(name, tmp_path / "c", size=32, n=12, seed=4, workers=1)
    assert a.name == f"{name}-32-n12-s3"
    ba, bb, bc = _bytes(a), _bytes(b), _bytes(c)
    assert ba == bb
    pngs = [k for k in ba if k.endswith(".png")]
    assert len(pngs) == 12 + n_test_for(12) == 20
    assert all(ba[k] != bc[k] for k in pngs)  # another seed changes every image
    im = Image.open(a / pngs[0])
    assert im.mode == "RGB" and im.size == ((32, 32) if name == "faces" else (64, 32))
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["n"] == 12 and manifest["n_test"] == 8 and manifest["seed"] == 3


def test_workers_do_not_change_bytes(tmp_path):
    one = synthesize("maps", tmp_path / "one", size=16, n=80, workers=1)
    two = synthesize("maps", tmp_path / "two", size=16, n=80, workers=2)
    assert _bytes(one) == _bytes(two)


def test_image_j_independent_of_n():
    a = render_item("streets", 24, 0, "train", 5)
    assert a.shape == (24, 48, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, render_item("streets", 24, 0, "train", 5))
    assert not np.array_equal(a, render_item("streets", 24, 0, "test", 5))


def test_any_resolution():
    for size in (16, 48, 128):
        assert render_item("faces", size, 0, "train", 0).shape == (size, size, 3)


def test_idempotent_cache_and_atomic(tmp_path):
    d = synthesize("facades", tmp_path, size=16, n=4)
    stamp = {p: p.stat().st_mtime_ns for p in d.rglob("*")}
    assert synthesize("facades", tmp_path, size=16, n=4) == d
    assert {p: p.stat().st_mtime_ns for p in d.rglob("*")} == stamp
    assert not [p for p in d.parent.iterdir() if p.name.startswith(".")]  # no temp folders left
    (d / "manifest.json").unlink()
    with pytest.raises(DataError, match="no manifest.json"):
        synthesize("facades", tmp_path, size=16, n=4)
    # an older generator version is rebuilt in place
    d2 = synthesize("maps", tmp_path, size=16, n=4)
    m = json.loads((d2 / "manifest.json").read_text())
    m["version"] = -1
    (d2 / "manifest.json").write_text(json.dumps(m))
    assert synthesize("maps", tmp_path, size=16, n=4) == d2
    assert json.loads((d2 / "manifest.json").read_text())["version"] != -1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "horses"}, "unknown synthetic"),
        ({"size": 8}, "size"),
        ({"n": 0}, "n "),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    args = {"name": "faces", "root": tmp_path, "size": 32, "n": 4, "seed": 0} | kwargs
    with pytest.raises(ConfigError, match=match):
        synthesize(**args)


def _labels(name, palette, count, size=48):
    seen = set()
    for j in range(count):
        pair = render_item(name, size, 0, "train", j)
        b = pair[:, size:]
        colours = {tuple(c) for c in b.reshape(-1, 3)}
        assert colours <= {tuple(c) for c in palette}, "label maps must hold exact palette colours"
        seen |= set(np.unique(colors_to_labels(b, palette)).tolist())
    return seen


def test_class_coverage():
    assert _labels("streets", CITYSCAPES_PALETTE, 40) == set(CLASSES_USED)
    assert _labels("facades", FACADES_PALETTE, 30) == set(range(12))
    assert _labels("maps", MAP_PALETTE, 20) == set(range(6))


def test_faces_look_varied_and_loaders_read_them(tmp_path):
    d = synthesize("faces", tmp_path, size=32, n=10)
    split = json.loads((d / "split.json").read_text())
    assert len(split["train"]) == 10 and len(split["test"]) == 8
    ds = FaceDataset(d, "test")
    x = ds[0]
    assert len(ds) == 8 and x.shape == (3, 32, 32) and -1 <= x.min() < x.max() <= 1
    imgs = np.stack([np.asarray(Image.open(p)) for p in ds.paths]).astype(float)
    assert imgs.std(0).mean() > 20  # different pose/colour/lighting per image
    s = synthesize("streets", tmp_path, size=32, n=10)
    assert len(PairedDataset(s, "test")) == 8
    assert len(UnpairedDataset(s, "train", load_size=36, crop_size=32)) == 10


def test_cli_synth_and_list(tmp_path, capsys):
    assert main(["data", "synth", "maps", "--size", "16", "--n", "3", "--root", str(tmp_path)]) == 0
    assert "maps-16-n3-s0" in capsys.readouterr().out
    assert main(["data", "list", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "maps-16-n3-s0" in out and "horse2zebra" in out and "celeba_hq" in out
    assert main(["data", "synth", "nope", "--root", str(tmp_path)]) == 2
    assert "unknown synthetic dataset" in capsys.readouterr().err
    assert os.listdir(tmp_path / "synth") == ["maps-16-n3-s0"]
