"""Datasets of the paper (Sec. 4.1) in their usual on-disk layouts, a safe downloader, and synthetic stand-ins."""

from spap_lib.data.cityscapes import CityscapesDataset
from spap_lib.data.folders import (
    FaceDataset,
    PairedDataset,
    UnpairedDataset,
    compute_face_split,
    make_face_split,
)
from spap_lib.data.images import load_rgb, to_tensor
from spap_lib.data.palettes import (
    CITYSCAPES_CLASSES,
    CITYSCAPES_PALETTE,
    FACADES_CLASSES,
    FACADES_PALETTE,
    cityscapes_label_to_train,
    colors_to_labels,
    labels_to_colors,
)
from spap_lib.data.synth import SYNTH_NAMES, list_synthetic, n_test_for, synth_dir, synthesize
from spap_lib.data.synth.maps import MAP_CLASSES, MAP_PALETTE

__all__ = [
    "CITYSCAPES_CLASSES",
    "CITYSCAPES_PALETTE",
    "CityscapesDataset",
    "FACADES_CLASSES",
    "FACADES_PALETTE",
    "FaceDataset",
    "MAP_CLASSES",
    "MAP_PALETTE",
    "PairedDataset",
    "SYNTH_NAMES",
    "UnpairedDataset",
    "cityscapes_label_to_train",
    "colors_to_labels",
    "compute_face_split",
    "labels_to_colors",
    "list_synthetic",
    "load_rgb",
    "make_face_split",
    "n_test_for",
    "synth_dir",
    "synthesize",
    "to_tensor",
]
