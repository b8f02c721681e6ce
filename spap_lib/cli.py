"""Command-line interface: ``python -m spap_lib <command> ...``.

Each sub-package that offers commands has a ``cli`` module with a
``register(subparsers)`` function; this file only collects them, so adding a
command never touches another package's code.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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
        command_module(name).register(sub)
    return parser


def command_module(name: str) -> ModuleType:
    """A ``cli`` module, loaded from its file without running its package's ``__init__`` (which imports
    torch): ``--help`` and argument errors stay fast. The cli modules import only the standard library at
    the top; each command imports what it needs when it runs."""
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parent.joinpath(*name.split(".")[1:]).with_suffix(".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
