"""Command ``data``: ``synth NAME`` (embedded synthetic datasets), ``download NAME``, ``list``."""

from __future__ import annotations

import argparse
import time


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="synthesize, download and list datasets (Sec. 4.1)")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    dsub.required = True

    s = dsub.add_parser("synth", help="generate a synthetic dataset (faces, streets, maps, facades)")
    s.add_argument("name", help="faces | streets | maps | facades")
    s.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    s.add_argument("--n", type=int, default=2000, help="training images/pairs (test: max(n//10, 8))")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--root", default="data", help="data root (default data/)")
    s.add_argument("--workers", type=int, default=None, help="processes (default: up to 2)")
    s.set_defaults(func=_synth)

    d = dsub.add_parser("download", help="download a public CycleGAN/pix2pix archive")
    d.add_argument("name", help="facades | maps | cityscapes | horse2zebra | celeba_hq | cityscapes_official")
    d.add_argument("--root", default="data")
    d.add_argument("--base-url", default=None, help="mirror base URL (or env SPAP_DATA_URL)")
    d.add_argument("--sha256", default=None, help="expected SHA-256 of the archive")
    d.add_argument("--force", action="store_true", help="download again even if present")
    d.set_defaults(func=_download)

    ls = dsub.add_parser("list", help="list the datasets that can be made or downloaded, and those present")
    ls.add_argument("--root", default="data")
    ls.set_defaults(func=_list)


def _synth(args: argparse.Namespace) -> int:
    from spap_lib.data.download import check_root
    from spap_lib.data.synth import synthesize
    from spap_lib.errors import DataError

    check_root(args.root)
    t0 = time.perf_counter()
    try:
        path = synthesize(args.name, args.root, args.size, args.n, args.seed, workers=args.workers)
    except OSError as exc:  # unwritable root, full disk: one line, not a traceback
        raise DataError(
            f"cannot write the dataset under {args.root} ({exc}): pass a writable --root with free space"
        ) from None
    print(f"{path}  ({time.perf_counter() - t0:.1f} s)")
    return 0


def _download(args: argparse.Namespace) -> int:
    from spap_lib.data.download import MANUAL, check_root, download, manual_steps

    check_root(args.root)
    if args.name in MANUAL:
        print(manual_steps(args.name, args.root))
        return 1  # nothing was downloaded: scripts must not carry on as if it had been
    print(download(args.name, args.root, base=args.base_url, sha256=args.sha256, force=args.force))
    return 0


def _list(args: argparse.Namespace) -> int:
    from pathlib import Path

    from spap_lib.data.download import COMPLETE, MANUAL, REGISTRY, check_root
    from spap_lib.data.synth import DESCRIPTIONS, list_synthetic

    check_root(args.root)
    print("synthetic (python -m spap_lib data synth NAME):")
    for name, text in DESCRIPTIONS.items():
        print(f"  {name:20s} {text}")
    print("downloadable (python -m spap_lib data download NAME):")
    for name, a in REGISTRY.items():
        have = "present" if (Path(args.root) / name / COMPLETE).is_file() else ""
        print(f"  {name:20s} {a.layout:50s} {have}")
    print("registration only (data download NAME prints the steps):")
    for name in MANUAL:
        print(f"  {name}")
    made = list_synthetic(args.root)
    print(f"synthetic datasets under {args.root}/synth: {len(made)}")
    for m in made:
        print(f"  {m['path']}  (size {m['size']}, n {m['n']} + {m['n_test']} test, seed {m['seed']})")
    return 0
