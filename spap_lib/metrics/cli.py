"""Command ``metrics``: ``fd DIR1 DIR2`` (FID, or FD-synth offline), ``psnr-ssim``, ``backbone-train``,
``segmenter-train``."""

from __future__ import annotations

import argparse
import json


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
    f.add_argument("--inception-weights", default=None, help="torchscript inception-2015-12-05.pt")
    f.add_argument("--resolution", type=int, default=None, help="resize both sets to this first")
    f.add_argument(
        "--no-kernel", action="store_true", help="skip the kernel distance (KID/KD-synth)"
    )
    f.add_argument("--root", default="data", help="data root holding the backbone caches")
    f.set_defaults(func=_fd)

    q = msub.add_parser("psnr-ssim", help="mean PSNR/SSIM of same-named images in two folders")
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


def _fd(args: argparse.Namespace) -> int:
    from spap_lib.metrics.backbones import select_backbone
    from spap_lib.metrics.fd import fd_folders

    bb = select_backbone(args.backbone, args.root, args.inception_weights)
    res = fd_folders(args.dir1, args.dir2, bb, args.resolution, kernel=not args.no_kernel)
    print(json.dumps(res.as_dict(), indent=2))
    return 0


def _psnr_ssim(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np
    from PIL import Image

    from spap_lib.errors import DataError
    from spap_lib.metrics.image_quality import image_quality
    from spap_lib.metrics.stats import list_images

    outs = {p.name: p for p in list_images(args.outputs)}
    tgts = {p.name: p for p in list_images(args.targets)}
    names = sorted(outs.keys() & tgts.keys())
    if not names:
        raise DataError(f"no same-named images in {args.outputs} and {args.targets}")

    def _load(p: Path) -> np.ndarray:
        return np.asarray(Image.open(p).convert("RGB"))

    print(json.dumps(image_quality((_load(outs[n]), _load(tgts[n])) for n in names), indent=2))
    return 0


def _backbone_train(args: argparse.Namespace) -> int:
    from spap_lib.metrics.synth_backbone import load_synth_backbone

    _, info = load_synth_backbone(args.root)
    print(json.dumps({k: info[k] for k in ("name", "metric", "sha256", "train")}, indent=2))
    return 0


def _segmenter_train(args: argparse.Namespace) -> int:
    from spap_lib.metrics.segmenter import load_segmenter, preset

    overrides = {k: v for k, v in (("steps", args.steps), ("device", args.device)) if v is not None}
    cfg = preset(args.preset, **overrides)
    name = args.name or ("synth-streets" if args.preset == "synth" else args.preset)
    seg = load_segmenter(args.root, name, cfg, args.train_folder)
    print(
        json.dumps(
            {"name": name, "train": seg.info.get("train"), "sha256": seg.info.get("sha256")},
            indent=2,
        )
    )
    return 0
