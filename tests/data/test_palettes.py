"""Palettes: Cityscapes and CMP tables, labelId->trainId, colour<->label round trips."""

import numpy as np
import pytest

from spap_lib.data.palettes import (
    CITYSCAPES_CLASSES,
    CITYSCAPES_PALETTE,
    FACADES_CLASSES,
    FACADES_PALETTE,
    cityscapes_label_to_train,
    colors_to_labels,
    labels_to_colors,
)


def test_tables_shapes_and_distinct_colours():
    assert len(CITYSCAPES_CLASSES) == 19 and CITYSCAPES_PALETTE.shape == (19, 3)
    assert len(FACADES_CLASSES) == 12 and FACADES_PALETTE.shape == (12, 3)
    for pal in (CITYSCAPES_PALETTE, FACADES_PALETTE):
        assert pal.dtype == np.uint8 and len({tuple(c) for c in pal}) == len(pal)
    assert tuple(CITYSCAPES_PALETTE[CITYSCAPES_CLASSES.index("car")]) == (0, 0, 142)
    assert tuple(CITYSCAPES_PALETTE[CITYSCAPES_CLASSES.index("road")]) == (128, 64, 128)


def test_label_to_train_ids():
    ids = np.array([[0, 7, 8, 11], [23, 24, 26, 33], [9, 29, 30, -1]])
    expected = np.array([[255, 0, 1, 2], [10, 11, 13, 18], [255, 255, 255, 255]])
    np.testing.assert_array_equal(cityscapes_label_to_train(ids), expected)
    all_ids = cityscapes_label_to_train(np.arange(34))
    assert sorted(set(all_ids.tolist()) - {255}) == list(range(19))


@pytest.mark.parametrize("palette", [CITYSCAPES_PALETTE, FACADES_PALETTE])
def test_round_trip_and_nearest(palette):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, len(palette), (9, 7))
    img = labels_to_colors(labels, palette)
    np.testing.assert_array_equal(colors_to_labels(img, palette), labels)
    noisy = np.clip(img.astype(int) + rng.integers(-6, 7, img.shape), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(colors_to_labels(noisy, palette), labels)


def test_ignore_is_black_and_bad_shape():
    out = labels_to_colors(np.array([[255, 0]]), CITYSCAPES_PALETTE)
    assert out[0, 0].tolist() == [0, 0, 0] and out[0, 1].tolist() == [128, 64, 128]
    with pytest.raises(ValueError, match="H, W, 3"):
        colors_to_labels(np.zeros((4, 4)), CITYSCAPES_PALETTE)
