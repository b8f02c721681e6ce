"""Command ``train``: ``python -m spap_lib train gan|cyclegan|pix2pix|scan --variant V --preset P [--set
key=value]``.

Works under ``torchrun --nproc_per_node K -m spap_lib train ...`` (DDP; see :mod:`spap_lib.training.runtime`).
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train an SNDCGAN or CycleGAN variant or a baseline (Sec. 4.3)")
    # names are checked by make_config (one-line errors); torch is imported only when a command runs
    p.add_argument("kind", help="recipe: gan | cyclegan | pix2pix | scan")
    p.add_argument(
        "--variant",
        default=None,
        help="vanilla | aspp | spap_c2f | spap_f2c (gan, cyclegan) | selfmod (gan only); pix2pix and scan: "
        "vanilla",
    )
    p.add_argument("--preset", default="cpu", help="paper | cpu | smoke (default: cpu)")
    p.add_argument("--dataset", default=None, help="cyclegan, pix2pix, scan: streets | maps | facades")
    p.add_argument("--direction", default=None, help="pix2pix: AtoB | BtoA (one run per direction)")
    p.add_argument("--run-dir", default=None, help="run folder (default: runs/<kind>-<variant>-<preset>)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field (repeatable), e.g. --set steps=200",
    )
    p.add_argument("--show-config", action="store_true", help="print the config and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from spap_lib.errors import ConfigError
    from spap_lib.training import format_config, make_config, train
    from spap_lib.training.config import run_name

    overrides = list(args.overrides)
    for key in ("variant", "dataset", "direction"):
        option = getattr(args, key)
        if not option:
            continue
        for item in overrides:
            set_key, _, value = item.partition("=")
            if set_key.strip() == key and value.strip() != option:
                raise ConfigError(
                    f"--{key} {option} and --set {item} disagree: pass the {key} once (--{key} or --set)"
                )
        overrides.append(f"{key}={option}")
    if args.quiet:
        overrides.append("progress=false")
    config = make_config(args.kind, args.preset, overrides)
    if args.show_config:
        print(format_config(config))
        return 0
    run_dir = args.run_dir or f"runs/{run_name(args.kind, config, preset=args.preset)}"
    out = train(config, run_dir)
    print(f"run folder: {out}")
    return 0
