"""Real-data loaders on tiny fixture trees: every layout, transforms, conversions and bad input."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from spap_lib.data import (
    CityscapesDataset,
    FaceDataset,
    PairedDataset,
    UnpairedDataset,
    compute_face_split,
    load_rgb,
)
from spap_lib.data.palettes import CITYSCAPES_PALETTE
from spap_lib.errors import ConfigError, DataError


def _img(path, w=20, h=20, value=None, seed=0, mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arr = (
        rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        if value is None
        else np.full((h, w, 3), value, np.uint8)
    )
    Image.fromarray(arr).convert(mode).save(path)
    return arr


def _aligned(root, phase="train", count=3, w=16):
    for i in range(count):
        a = np.full((w, w, 3), 10 * i, np.uint8)
        b = np.full((w, w, 3), 200 + 10 * i, np.uint8)
        p = root / phase / f"{i}.png"
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.concatenate([a, b], 1)).save(p)


def test_face_split_27k_3k_fixed():
    names = [f"{i}.jpg" for i in range(30000)]
    s = compute_face_split(names, 0.1, seed=0)
    assert len(s["train"]) == 27000 and len(s["test"]) == 3000
    assert not set(s["train"]) & set(s["test"])
    assert s == compute_face_split(list(reversed(names)), 0.1, seed=0)  # order of listing irrelevant
    assert s["test"] != compute_face_split(names, 0.1, seed=1)["test"]


def test_face_dataset_writes_split_and_reads(tmp_path):
    for i in range(20):
        _img(tmp_path / "images" / f"{i:02d}.png", seed=i)
    ds = FaceDataset(tmp_path, "train", size=8)
    split = json.loads((tmp_path / "split.json").read_text())
    assert len(ds) == 18 and len(split["test"]) == 2
    x = ds[0]
    assert x.dtype == torch.float32 and x.shape == (3, 8, 8) and x.min() >= -1 and x.max() <= 1
    assert len(FaceDataset(tmp_path, "all")) == 20
    assert FaceDataset(tmp_path, "train", size=None)[0].shape == (3, 20, 20)
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert batch.shape == (4, 3, 8, 8)


def test_face_dataset_flat_folder_and_bad_split(tmp_path):
    for i in range(10):
        _img(tmp_path / f"{i}.jpg", seed=i)
    assert len(FaceDataset(tmp_path, "test")) == 1
    with pytest.raises(ConfigError, match="split must be"):
        FaceDataset(tmp_path, "val")
    (tmp_path / "3.jpg").unlink()
    with pytest.raises(DataError, match="lists 1 images missing from"):
        FaceDataset(tmp_path, "all")
    (tmp_path / "split.json").write_text("{not json")
    with pytest.raises(DataError, match="split.json is not valid JSON"):
        FaceDataset(tmp_path)
    (tmp_path / "split.json").write_text(json.dumps({"train": [], "test": ["0.jpg"]}))
    with pytest.raises(DataError, match="split of .* is empty"):
        FaceDataset(tmp_path, "train")


def test_face_dataset_missing_and_empty(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        FaceDataset(tmp_path / "nope")
    (tmp_path / "images").mkdir()
    with pytest.raises(DataError, match="no images in .*CelebA-HQ layout"):
        FaceDataset(tmp_path)


def test_unpaired_unaligned_layout(tmp_path):
    for i in range(3):
        _img(tmp_path / "trainA" / f"a{i}.png", 30, 30, value=20 * i)
    for i in range(5):
        _img(tmp_path / "trainB" / f"b{i}.png", 30, 30, value=150 + 20 * i)
    ds = UnpairedDataset(tmp_path, "train", "AtoB", load_size=28, crop_size=24, seed=1)
    assert len(ds) == 5
    item = ds[4]
    assert item["A"].shape == (3, 24, 24) and item["A_path"].endswith("a1.png")
    assert "trainB" in item["B_path"]
    again = UnpairedDataset(tmp_path, "train", "AtoB", load_size=28, crop_size=24, seed=1)[4]
    assert torch.equal(item["A"], again["A"]) and item["B_path"] == again["B_path"]
    rev = UnpairedDataset(tmp_path, "train", "BtoA", load_size=28, crop_size=24)[0]
    assert "trainB" in rev["A_path"] and "trainA" in rev["B_path"]
    ev = UnpairedDataset(tmp_path, "train", load_size=28, crop_size=24, train=False)[0]
    assert ev["A"].shape == (3, 24, 24)


def test_unpaired_aligned_layout_splits_halves_and_draws_b(tmp_path):
    _aligned(tmp_path, "train", count=6)
    ds = UnpairedDataset(tmp_path, "train", load_size=16, crop_size=16, train=False)
    assert len(ds) == 6
    draws = [ds[i] for i in range(6)]
    for i, it in enumerate(draws):
        assert it["A_path"].endswith(f"{i}.png")
        assert torch.allclose(it["A"], torch.full_like(it["A"], 10 * i / 127.5 - 1))
        assert it["B"].min() > 0.5  # right halves only (values >= 200)
    assert len({it["B_path"] for it in draws}) > 1  # B drawn independently of A
    ds.set_epoch(1)
    assert [ds[i]["B_path"] for i in range(6)] != [it["B_path"] for it in draws]
    rev = UnpairedDataset(tmp_path, "train", "BtoA", load_size=16, crop_size=16, train=False)[0]
    assert rev["A"].min() > 0.5


def test_reference_recipe_crop_and_flip(tmp_path):
    _img(tmp_path / "trainA" / "a.png", 40, 40, seed=1)
    _img(tmp_path / "trainB" / "b.png", 40, 40, seed=2)
    ds = UnpairedDataset(tmp_path)  # defaults: load 286, crop 256
    assert ds[0]["A"].shape == (3, 256, 256)
    small = UnpairedDataset(tmp_path, load_size=40, crop_size=40, seed=0)
    ref = torch.from_numpy(np.asarray(load_rgb(tmp_path / "trainA" / "a.png"), np.float32))
    ref = ref.permute(2, 0, 1) / 127.5 - 1
    outs = []
    for e in range(8):
        small.set_epoch(e)
        outs.append(small[0]["A"])
    assert any(torch.allclose(o, ref) for o in outs) and any(torch.allclose(o, ref.flip(-1)) for o in outs)
    with pytest.raises(ConfigError, match="crop_size"):
        UnpairedDataset(tmp_path, load_size=32, crop_size=64)
    with pytest.raises(ConfigError, match="direction"):
        UnpairedDataset(tmp_path, direction="AB")


def test_paired_dataset(tmp_path):
    _aligned(tmp_path, "test", count=2, w=12)
    ds = PairedDataset(tmp_path, "test")
    it = ds[1]
    assert it["A"].shape == (3, 12, 12) and it["path"].endswith("1.png")
    assert torch.allclose(it["A"], torch.full_like(it["A"], 10 / 127.5 - 1))
    assert torch.allclose(it["B"], torch.full_like(it["B"], 210 / 127.5 - 1))
    assert PairedDataset(tmp_path, "test", size=8)[0]["B"].shape == (3, 8, 8)
    swapped = PairedDataset(tmp_path, "test", "BtoA")[1]
    assert torch.equal(swapped["A"], it["B"])
    tr = PairedDataset(tmp_path, "test", train=True, load_size=14, crop_size=10)[0]
    assert tr["A"].shape == tr["B"].shape == (3, 10, 10)


def test_layout_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        UnpairedDataset(tmp_path / "missing")
    (tmp_path / "junk").mkdir()
    with pytest.raises(DataError, match=r"CycleGAN unaligned layout.*pix2pix aligned layout"):
        UnpairedDataset(tmp_path)
    with pytest.raises(DataError, match="no test/ folder; expected pix2pix aligned layout"):
        PairedDataset(tmp_path, "test")
    (tmp_path / "test").mkdir()
    with pytest.raises(DataError, match="is empty"):
        PairedDataset(tmp_path, "test")
    (tmp_path / "trainA").mkdir()
    (tmp_path / "trainB").mkdir()
    _img(tmp_path / "trainA" / "x.png")
    with pytest.raises(DataError, match="trainB is empty"):
        UnpairedDataset(tmp_path)


def test_odd_width_pair(tmp_path):
    _img(tmp_path / "test" / "odd.png", w=15, h=8)
    ds = PairedDataset(tmp_path, "test")
    with pytest.raises(DataError, match=r"odd\.png: width 15 is odd"):
        ds[0]


def test_corrupt_and_truncated_images_name_the_file(tmp_path):
    _img(tmp_path / "images" / "good.png", 32, 32)
    (tmp_path / "images" / "bad.png").write_bytes(b"this is not a png")
    data = (tmp_path / "images" / "good.png").read_bytes()
    (tmp_path / "images" / "cut.png").write_bytes(data[: len(data) // 2])
    for name in ("bad.png", "cut.png"):
        with pytest.raises(DataError, match=rf"cannot read image .*{name}"):
            load_rgb(tmp_path / "images" / name)
    ds = FaceDataset(tmp_path, "all")
    loader = DataLoader(ds, batch_size=3, num_workers=0)
    with pytest.raises(DataError, match="cannot read image"):
        next(iter(loader))


def test_conversions(tmp_path):
    _img(tmp_path / "gray.png", value=77, mode="L")
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 10
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(np.full((4, 4), 65535, np.uint16)).save(tmp_path / "deep.png")
    Image.fromarray(np.full((4, 4), 0.5, np.float32)).save(tmp_path / "float.tiff")
    assert np.asarray(load_rgb(tmp_path / "gray.png")).tolist() == np.full((20, 20, 3), 77).tolist()
    assert np.asarray(load_rgb(tmp_path / "rgba.png"))[0, 0].tolist() == [200, 0, 0]
    deep = Image.open(tmp_path / "deep.png")
    assert deep.mode.startswith("I")
    assert np.asarray(load_rgb(tmp_path / "deep.png"))[0, 0].tolist() == [255, 255, 255]
    Image.fromarray(np.full((4, 4), 257 * 40, np.uint16)).save(tmp_path / "deep40.png")
    assert np.asarray(load_rgb(tmp_path / "deep40.png"))[0, 0].tolist() == [40, 40, 40]
    with pytest.raises(DataError, match="floating-point"):
        load_rgb(tmp_path / "float.tiff")


def _cityscapes(root, split="val"):
    ids = np.array([[7, 8, 26, 0], [23, 24, 21, 33]], np.uint8).repeat(4, 0).repeat(4, 1)
    for city, name in (("aachen", "aachen_000000_000019"), ("bonn", "bonn_000001_000019")):
        _img(root / "leftImg8bit" / split / city / f"{name}_leftImg8bit.png", 16, 8)
        p = root / "gtFine" / split / city / f"{name}_gtFine_labelIds.png"
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(ids, "L").save(p)


def test_cityscapes_official(tmp_path):
    _cityscapes(tmp_path)
    ds = CityscapesDataset(tmp_path, "val")
    assert len(ds) == 2
    it = ds[0]
    assert it["A"].shape == (3, 8, 16) and it["labels"].shape == (8, 16)
    assert it["labels"][0, ::4].tolist() == [0, 1, 13, 255]
    assert it["labels"][4, ::4].tolist() == [10, 11, 8, 18]
    car = torch.tensor(CITYSCAPES_PALETTE[13], dtype=torch.float32) / 127.5 - 1
    assert torch.allclose(it["B"][:, 0, 8], car)
    small = CityscapesDataset(tmp_path, "val", size=4)[1]
    assert small["A"].shape == (3, 4, 4) and set(small["labels"].unique().tolist()) <= {
        0,
        1,
        13,
        255,
        10,
        11,
        8,
        18,
    }
    with pytest.raises(DataError, match="lacks leftImg8bit/train/"):
        CityscapesDataset(tmp_path, "train")
    next(tmp_path.glob("gtFine/val/bonn/*.png")).unlink()
    with pytest.raises(DataError, match="has no label file"):
        CityscapesDataset(tmp_path, "val")
    with pytest.raises(DataError, match="does not exist"):
        CityscapesDataset(tmp_path / "nope")
