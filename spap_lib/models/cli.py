"""Commands ``params`` and ``receptive-field``: our networks checked against the paper's numbers."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "params", help="trainable parameter counts of G and D per variant and baseline vs Table 1"
    )
    p.set_defaults(func=_params)
    r = sub.add_parser("receptive-field", help="receptive field of every discriminator vs Sec. 4.6")
    r.set_defaults(func=_receptive_field)


def _params(args: argparse.Namespace) -> int:
    from spap_lib.models.checks import format_table, parameter_table

    print(format_table(parameter_table()))
    return 0


def _receptive_field(args: argparse.Namespace) -> int:
    from spap_lib.models.checks import format_table, receptive_field_table

    print(format_table(receptive_field_table()))
    return 0
