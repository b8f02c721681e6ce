import numpy as np
import pytest
import torch

from spap_lib.data.palettes import CITYSCAPES_PALETTE
from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics import (
    Segmenter,
    SegmenterConfig,
    load_segmenter,
    score_labels_to_photo,
    score_photo_to_labels,
    train_segmenter,
)
from spap_lib.metrics.segmenter import load_aligned_pairs, preset

TINY = SegmenterConfig(size=16, width=8, steps=3, batch_size=4)


def _data(n=6, size=16, seed=0):
    """Photos whose colour is the class: a learnable toy problem, with a few ignored pixels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=(n, size // 4, size // 4)).repeat(4, 1).repeat(4, 2)
    photos = CITYSCAPES_PALETTE[labels].astype(np.uint8)
    labels[:, 0, 0] = 255
    return photos, labels


def test_training_is_deterministic_and_cached(tmp_path, write_images):
    photos, labels = _data()
    net1, log1 = train_segmenter(photos, labels, TINY)
    net2, log2 = train_segmenter(photos, labels, TINY)
    for (k, a), (_, b) in zip(net1.state_dict().items(), net2.state_dict().items()):
        assert torch.equal(a, b), k
    assert log1 == {**log2, "train_seconds": log1["train_seconds"]}
    # cache round trip through aligned A|B files
    colour = np.where(labels[..., None] == 255, 0, CITYSCAPES_PALETTE[labels % 255]).astype(np.uint8)
    write_images(tmp_path / "train", np.concatenate([photos, colour], axis=2))
    p, ids = load_aligned_pairs(tmp_path / "train", CITYSCAPES_PALETTE, 16)
    np.testing.assert_array_equal(p, photos)
    np.testing.assert_array_equal(ids, labels)
    seg = load_segmenter(tmp_path, "toy", TINY, tmp_path / "train", verbose=False)
    assert (tmp_path / "segmenters" / "toy" / "weights.pt").is_file()
    again = load_segmenter(tmp_path, "toy", TINY, train_if_missing=False)
    np.testing.assert_array_equal(seg.predict(photos[0]), again.predict(photos[0]))


def test_segmenter_learns_a_toy_task():
    photos, labels = _data(n=8)
    net, log = train_segmenter(
        photos, labels, SegmenterConfig(size=16, width=8, steps=30, batch_size=4, lr=1e-2)
    )
    seg = Segmenter(net, 16)
    colour = CITYSCAPES_PALETTE[np.where(labels == 255, 0, labels)].astype(np.uint8)
    res = score_labels_to_photo(list(zip(photos, colour)), seg, CITYSCAPES_PALETTE)
    assert res.pixel_acc > 0.9
    big = seg.predict(np.kron(photos[0], np.ones((2, 2, 1), np.uint8)))  # other size: resized
    assert big.shape == (32, 32) and big.dtype == np.int64


def test_scores_with_perfect_outputs():
    _, labels = _data(n=3)
    lab = np.where(labels == 255, 0, labels)
    colour = CITYSCAPES_PALETTE[lab].astype(np.uint8)
    noisy = np.clip(colour.astype(int) + np.random.default_rng(0).integers(-6, 7, colour.shape), 0, 255)
    res = score_photo_to_labels(list(zip(noisy.astype(np.uint8), colour)), CITYSCAPES_PALETTE)
    assert res.pixel_acc == res.mean_class_acc == res.mean_class_iou == 1.0
    res2 = score_labels_to_photo(list(zip(colour, colour)), lambda p: lab[0], CITYSCAPES_PALETTE)
    assert 0 < res2.pixel_acc < 1  # predicting image 0's labels for every image


def test_errors(tmp_path):
    with pytest.raises(DataError, match="no A\\|B images"):
        load_aligned_pairs(tmp_path, CITYSCAPES_PALETTE, 16)
    with pytest.raises(ConfigError, match="preset"):
        preset("imagenet")
    with pytest.raises(ConfigError, match="override"):
        preset("synth", stepz=3)
    assert preset("cityscapes", steps=5).size == 256
    with pytest.raises(DataError, match="segmenter-train"):
        load_segmenter(tmp_path, "missing", TINY, train_if_missing=False)
    with pytest.raises(ConfigError, match="no image pairs"):
        score_photo_to_labels([], CITYSCAPES_PALETTE)
