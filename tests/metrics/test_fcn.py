import numpy as np
import pytest

from spap_lib.errors import ConfigError, DataError
from spap_lib.metrics import colors_to_ids_exact, confusion_matrix, fcn_scores


def test_confusion_matrix_counts_and_ignores_255():
    gt = np.array([[0, 0, 1], [2, 255, 1]])
    pred = np.array([[0, 1, 1], [2, 0, 0]])
    cm = confusion_matrix(gt, pred, num_classes=3)
    expected = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(cm, expected)


def test_scores_on_a_hand_made_matrix():
    hist = np.array([[8, 2, 0], [1, 4, 0], [0, 5, 5]])
    s = fcn_scores(hist)
    assert s.pixel_acc == pytest.approx(17 / 25)
    assert s.mean_class_acc == pytest.approx((8 / 10 + 4 / 5 + 5 / 10) / 3)
    iou = [8 / (10 + 9 - 8), 4 / (5 + 11 - 4), 5 / (10 + 5 - 5)]
    assert s.mean_class_iou == pytest.approx(np.mean(iou))
    np.testing.assert_allclose(s.per_class_iou, iou)
    # every class present: both policies agree
    z = fcn_scores(hist, absent="zero")
    assert z.mean_class_iou == pytest.approx(s.mean_class_iou)
    assert z.mean_class_acc == pytest.approx(s.mean_class_acc)


def test_absent_classes_excluded_or_zero_like_pix2pix():
    # class 2 absent from ground truth and prediction; class 3 absent from gt but predicted
    hist = np.array([[6, 2, 0, 2], [0, 4, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    ex = fcn_scores(hist, absent="exclude")
    assert ex.pixel_acc == pytest.approx(10 / 14)
    assert ex.mean_class_acc == pytest.approx((6 / 10 + 4 / 4) / 2)  # classes 2, 3 undefined
    assert ex.mean_class_iou == pytest.approx((6 / 10 + 4 / 6 + 0.0) / 3)  # class 3 keeps IoU 0
    assert np.isnan(ex.per_class_iou[2]) and ex.per_class_iou[3] == 0
    zero = fcn_scores(hist, absent="zero")  # pix2pix get_scores: 1e-12 in the denominators
    pix2pix_acc = np.diag(hist) / (hist.sum(1) + 1e-12)
    pix2pix_iou = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist) + 1e-12)
    assert zero.mean_class_acc == pytest.approx(np.nanmean(pix2pix_acc))
    assert zero.mean_class_iou == pytest.approx(np.nanmean(pix2pix_iou))
    assert zero.mean_class_iou == pytest.approx((6 / 10 + 4 / 6) / 4)


def test_perfect_prediction_scores_one():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 19, size=(50, 50))
    s = fcn_scores(confusion_matrix(gt, gt))
    assert s.pixel_acc == s.mean_class_acc == s.mean_class_iou == 1.0
    d = s.as_dict()
    assert d["pixels"] == 2500 and len(d["per_class_iou"]) == 19


def test_errors():
    with pytest.raises(DataError, match="outside"):
        confusion_matrix(np.array([0, 19]), np.array([0, 0]))
    with pytest.raises(DataError, match="outside"):
        confusion_matrix(np.array([0, 1]), np.array([0, 25]))
    with pytest.raises(DataError, match="empty"):
        fcn_scores(confusion_matrix(np.array([255]), np.array([3])))
    with pytest.raises(ConfigError, match="absent"):
        fcn_scores(np.eye(3), absent="nan")


def test_colors_to_ids_exact_and_tolerance():
    palette = np.array([[128, 64, 128], [70, 70, 70]], np.uint8)
    img = np.array([[[128, 64, 128], [70, 70, 70], [0, 0, 0], [75, 66, 70]]], np.uint8)
    np.testing.assert_array_equal(colors_to_ids_exact(img, palette), [[0, 1, 255, 255]])
    np.testing.assert_array_equal(colors_to_ids_exact(img, palette, tolerance=5), [[0, 1, 255, 1]])
