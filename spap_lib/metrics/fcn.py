"""The FCN score (Table 2, Sec. 4.2): segmentation accuracy as the pix2pix evaluation defines it.

One confusion matrix ``hist`` is accumulated over the whole split (rows: ground truth, columns:
prediction; 19 Cityscapes trainIds, ground-truth pixels labelled 255 are ignored), then

- per-pixel accuracy  = sum(diag) / sum(hist)
- mean class accuracy = mean over classes c of hist[c, c] / sum(hist[c, :])
- mean class IoU      = mean over classes c of hist[c, c] / (sum(hist[c, :]) + sum(hist[:, c]) - hist[c, c])

as in pix2pix's ``scripts/eval_cityscapes/{evaluate,util}.py`` (``fast_hist`` / ``get_scores``).

Absent classes (a choice; the paper does not say). pix2pix's ``get_scores`` adds 1e-12 to every
denominator before ``np.nanmean``, so the nanmean never sees a NaN: a class with no ground-truth pixel
scores class accuracy 0, and a class absent from both ground truth and prediction scores IoU 0 -- both
pull the means down. On the full Cityscapes val split all 19 classes occur, so this never mattered
there; on our small synthetic splits, which draw a subset of the 19 classes, it would cap the mean IoU
at (classes present)/19 and measure the data generator, not the translation. The default here,
``absent="exclude"``, therefore drops undefined ratios (0/0) from the means, as the Cityscapes
benchmark scripts do: a class with no ground-truth pixel has no class accuracy; a class absent from
both ground truth and prediction has no IoU; a class predicted but absent from the ground truth keeps
IoU 0 (a false positive is still an error). ``absent="zero"`` reproduces pix2pix's code exactly.
Both agree whenever every class occurs in the ground truth.

labels->photo: our own segmenter (``segmenter.py``) segments each translated photo and is scored
against the input label map. photo->labels: each pixel of the generated label image is mapped to the
nearest palette colour and scored against the ground-truth label map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from spap_lib.errors import ConfigError, DataError

NUM_CLASSES = 19
IGNORE_INDEX = 255
ABSENT_POLICIES = ("exclude", "zero")


def confusion_matrix(
    gt: np.ndarray,
    pred: np.ndarray,
    num_classes: int = NUM_CLASSES,
    ignore_index: int = IGNORE_INDEX,
) -> np.ndarray:
    """(num_classes, num_classes) int64 counts, rows = ground truth, columns = prediction.

    Ground-truth pixels equal to ``ignore_index`` are skipped; any other value outside
    [0, num_classes) in either map is an error (it would silently shift the matrix otherwise).
    """
    gt = np.asarray(gt).ravel()
    pred = np.asarray(pred).ravel()
    if gt.shape != pred.shape:
        raise ConfigError(f"label maps differ in size: {gt.size} vs {pred.size} pixels")
    keep = gt != ignore_index
    gt = gt[keep].astype(np.int64)
    pred = pred[keep].astype(np.int64)
    for name, a in (("ground truth", gt), ("prediction", pred)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise DataError(
                f"{name} holds label {int(a.min() if a.min() < 0 else a.max())} outside "
                f"0..{num_classes - 1} (and {ignore_index} = ignore): map ids to trainIds first"
            )
    counts = np.bincount(num_classes * gt + pred, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


@dataclass(frozen=True)
class FCNScores:
    """The three FCN scores of Table 2 and the per-class values behind them (NaN = undefined)."""

    pixel_acc: float
    mean_class_acc: float
    mean_class_iou: float
    per_class_acc: np.ndarray = field(repr=False)
    per_class_iou: np.ndarray = field(repr=False)
    absent: str = "exclude"
    pixels: int = 0

    def as_dict(self) -> dict[str, float | int | str | list[float | None]]:
        """JSON-ready dict (NaN per-class values become None)."""

        def _list(a: np.ndarray) -> list[float | None]:
            return [None if np.isnan(v) else float(v) for v in a]

        return {
            "pixel_acc": self.pixel_acc,
            "mean_class_acc": self.mean_class_acc,
            "mean_class_iou": self.mean_class_iou,
            "per_class_acc": _list(self.per_class_acc),
            "per_class_iou": _list(self.per_class_iou),
            "absent": self.absent,
            "pixels": self.pixels,
        }


def fcn_scores(hist: np.ndarray, absent: str = "exclude") -> FCNScores:
    """Pixel accuracy, mean class accuracy and mean class IoU of one confusion matrix.

    ``absent="exclude"`` drops 0/0 classes from the means; ``"zero"`` counts them as 0 exactly as
    pix2pix's ``get_scores`` does (see the module docstring for why the default excludes).
    """
    if absent not in ABSENT_POLICIES:
        raise ConfigError(f"absent must be one of {ABSENT_POLICIES}, got {absent!r}")
    hist = np.asarray(hist, dtype=np.float64)
    if hist.ndim != 2 or hist.shape[0] != hist.shape[1]:
        raise ConfigError(f"confusion matrix must be square, got shape {hist.shape}")
    total = hist.sum()
    if total <= 0:
        raise DataError("empty confusion matrix: every ground-truth pixel was ignored (255)")
    diag = np.diag(hist)
    rows, cols = hist.sum(1), hist.sum(0)
    union = rows + cols - diag
    if absent == "zero":  # pix2pix's get_scores, verbatim arithmetic
        acc = diag / (rows + 1e-12)
        iou = diag / (union + 1e-12)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            acc = np.where(rows > 0, diag / np.where(rows > 0, rows, 1), np.nan)
            iou = np.where(union > 0, diag / np.where(union > 0, union, 1), np.nan)
    return FCNScores(
        pixel_acc=float(diag.sum() / total),
        mean_class_acc=float(np.nanmean(acc)),
        mean_class_iou=float(np.nanmean(iou)),
        per_class_acc=acc,
        per_class_iou=iou,
        absent=absent,
        pixels=int(total),
    )


def colors_to_ids_exact(
    img: np.ndarray, palette: np.ndarray, tolerance: int = 0, ignore_index: int = IGNORE_INDEX
) -> np.ndarray:
    """Ground-truth colour label map (H,W,3 uint8) -> class ids; colours not in the palette -> ignore.

    For ground truth only: a pixel gets class k when its colour is within ``tolerance`` (max abs
    difference per channel) of palette colour k (the nearest one if several), else ``ignore_index``,
    so void/unlabelled pixels (e.g. black) are ignored rather than snapped to some class.
    ``tolerance=0`` (exact) suits our lossless synthetic PNGs; pix2pix's real Cityscapes label images
    are JPEG-compressed and need a tolerance (e.g. 12). Generated label images use the nearest colour.
    """
    img = np.asarray(img)
    palette = np.asarray(palette, dtype=np.int64)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise ConfigError(f"expected an (H, W, 3) colour label map, got shape {img.shape}")
    diff = np.abs(img.astype(np.int64)[..., None, :] - palette[None, None])  # H,W,K,3
    sq = (diff**2).sum(-1)
    nearest = sq.argmin(-1)
    within = np.take_along_axis(diff.max(-1), nearest[..., None], -1)[..., 0] <= tolerance
    return np.where(within, nearest, ignore_index).astype(np.int64)


def nearest_palette_ids(img: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Generated label image (H,W,3 uint8) -> ids of the nearest palette colour (Euclidean in RGB).

    Delegates to ``spap_lib.data.palettes.colors_to_labels`` (one definition of "nearest colour").
    """
    from spap_lib.data.palettes import colors_to_labels

    return np.asarray(colors_to_labels(np.asarray(img, dtype=np.uint8), palette), dtype=np.int64)


def score_photo_to_labels(
    pairs: Iterable[tuple[np.ndarray, np.ndarray]],
    palette: np.ndarray,
    absent: str = "exclude",
    tolerance: int = 0,
) -> FCNScores:
    """photo->labels FCN score: (generated label image, ground-truth colour label map) uint8 pairs.

    Predictions: nearest palette colour; ground truth: exact palette colours (others ignored).
    """
    num_classes = len(palette)
    hist = np.zeros((num_classes, num_classes), dtype=np.int64)
    n = 0
    for generated, target in pairs:
        pred = nearest_palette_ids(generated, palette)
        gt = colors_to_ids_exact(target, palette, tolerance)
        hist += confusion_matrix(gt, pred, num_classes)
        n += 1
    if n == 0:
        raise ConfigError("score_photo_to_labels got no image pairs: check the test split")
    return fcn_scores(hist, absent)


def score_labels_to_photo(
    pairs: Iterable[tuple[np.ndarray, np.ndarray]],
    segment: Callable[[np.ndarray], np.ndarray],
    palette: np.ndarray,
    absent: str = "exclude",
    tolerance: int = 0,
) -> FCNScores:
    """labels->photo FCN score: (translated photo, input colour label map) uint8 pairs.

    ``segment`` maps a uint8 (H,W,3) photo to an (H,W) id map (e.g. ``Segmenter.predict``); the
    translated photo is segmented and scored against the label map it was translated from.
    """
    num_classes = len(palette)
    hist = np.zeros((num_classes, num_classes), dtype=np.int64)
    n = 0
    for photo, labels in pairs:
        pred = np.asarray(segment(photo))
        gt = colors_to_ids_exact(labels, palette, tolerance)
        if pred.shape != gt.shape:
            raise ConfigError(
                f"segmenter output {pred.shape} differs from the label map {gt.shape}: "
                "resize the translated photo to the label map's size first"
            )
        hist += confusion_matrix(gt, pred, num_classes)
        n += 1
    if n == 0:
        raise ConfigError("score_labels_to_photo got no image pairs: check the test split")
    return fcn_scores(hist, absent)
