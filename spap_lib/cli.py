"""Command-line interface: ``python -m spap_lib <command> ...``.

Each sub-package that offers commands has a ``cli`` module with a
``register(subparsers)`` function; this file only collects them, so adding a
command never touches another package's code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from spap_lib.errors import SpapError

# Modules that register sub-commands, in the order `--help` lists them.
COMMAND_MODULES = (
    "spap_lib.models.cli",
    "spap_lib.data.cli",
    "spap_lib.metrics.cli",
    "spap_lib.reports.cli",
    "spap_lib.training.cli",
    "spap_lib.study.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m spap_lib",
        description="Spatial Pyramid Attentive Pooling companion: models, data, metrics, training.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SpapError as exc:  # one-line, actionable errors for the user
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
