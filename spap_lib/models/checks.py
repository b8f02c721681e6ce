"""Tables that check our networks against the paper: parameter counts (Table 1, and the baselines of
Tables 1-3) and receptive fields (Sec. 4.6).

Every number of ours is computed from a freshly built module; the paper's come from ``paper_tables.csv``.
The modules are built on PyTorch's ``meta`` device (shapes without memory or initialisation) and without
spectral norm, which only re-parametrises a weight (its u/v vectors are buffers): the counts and receptive
fields are those of the real networks (``tests/models/test_checks.py`` builds both), at 1/50 of the time --
the full-size SNDCGAN's spectral-norm power iterations alone took ~5 s per page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import torch

from spap_lib.models import (
    SNDCGAN_LABELS,
    VARIANTS,
    CycleGANGenerator,
    PatchGANDiscriminator,
    SNDCGANDiscriminator,
    SNDCGANGenerator,
    build_pix2pix,
    build_scan,
    count_parameters,
    discriminator_receptive_field,
    variants_for,
)
from spap_lib.paper import paper_value

T = TypeVar("T")


def _shapes_only(fn: Callable[[], T]) -> Callable[[], T]:
    """Run ``fn`` with new tensors on the meta device (see the module docstring)."""

    @functools.wraps(fn)
    def wrapper() -> T:
        with torch.device("meta"):
            return fn()

    return wrapper


@_shapes_only
def parameter_table() -> list[dict]:
    """Trainable parameters of G and D per variant at paper scale (SNDCGAN 128 px, CycleGAN 256 px), and of
    the baselines Pix2Pix and SCAN at 256 px (SELF-MOD is an SNDCGAN variant)."""
    rows = []
    base_g = count_parameters(SNDCGANGenerator("vanilla", 128, sn=False))
    paper_base = paper_value("table1", SNDCGAN_LABELS["vanilla"], "params_G_millions")
    for variant in variants_for("gan"):
        g = count_parameters(SNDCGANGenerator(variant, 128, sn=False))
        d = count_parameters(SNDCGANDiscriminator(variant, 128, sn=False))
        paper_m = None
        if variant != "selfmod":  # the paper gives no count for SELF-MOD
            paper_m = paper_value("table1", SNDCGAN_LABELS[variant], "params_G_millions")
        if variant == "vanilla":
            note = (
                f"compare_gan's SNDCGAN G; the paper's count is {100 * (paper_m * 1e6 / g - 1):+.1f}% "
                "and cannot be derived from the architecture it describes"
            )
        elif variant == "selfmod":
            note = (
                f"self-modulation adds {g - base_g:,}: per BN an MLP z->32->(scale, offset), per feature "
                "(131,072 for the BN over the linear output); the paper gives no count"
            )
        else:
            note = f"module adds {g - base_g:,} (paper: {round((paper_m - paper_base) * 1e6):,}); " + (
                "the paper does not specify its attention nets"
                if variant.startswith("spap")
                else "five branches + 1x1 projection + BatchNorm, DeepLab style"
            )
        rows.append(
            {
                "model": "SNDCGAN 128px",
                "variant": variant,
                "params_G": g,
                "params_D": d,
                "paper_params_G": None if paper_m is None else round(paper_m * 1e6),
                "note": note,
            }
        )
    for variant in variants_for("cyclegan"):
        rows.append(
            {
                "model": "CycleGAN 256px",
                "variant": variant,
                "params_G": count_parameters(CycleGANGenerator(variant)),
                "params_D": count_parameters(PatchGANDiscriminator(variant)),
                "paper_params_G": None,
                "note": "the paper reports no CycleGAN parameter counts",
            }
        )
    g, d = build_pix2pix(256)
    rows.append(
        {
            "model": "Pix2Pix 256px",
            "variant": "vanilla",
            "params_G": count_parameters(g),
            "params_D": count_parameters(d),
            "paper_params_G": None,
            "note": "reference unet_256 G (batch norm, dropout) and conditional 70x70 PatchGAN (6 channels)",
        }
    )
    g, d1, d2 = build_scan()
    rows.append(
        {
            "model": "SCAN 256px",
            "variant": "vanilla",
            "params_G": count_parameters(g),
            "params_D": count_parameters(d1) + count_parameters(d2),
            "paper_params_G": None,
            "note": "one direction: stage-1 ResNet-6 at 128 px + stage-2 ResNet-9 (6 input channels) + mask "
            "head; D: one PatchGAN per stage",
        }
    )
    return rows


@_shapes_only
def receptive_field_table() -> list[dict]:
    """Receptive field of every discriminator variant, computed from the modules, beside Sec. 4.6."""
    sec = "sec4_6"
    rows = []
    for variant in VARIANTS:
        claim = {
            "vanilla": "SNDCGAN D (vanilla)",
            "spap_c2f": "SNDCGAN D + atrous",
            "spap_f2c": "SNDCGAN D + atrous",
        }.get(variant)
        rows.append(
            {
                "discriminator": "SNDCGAN D (128px)",
                "variant": variant,
                "placement": "conv 3 (4x4/2 on the 64x64 map)" if variant != "vanilla" else "-",
                "receptive_field": discriminator_receptive_field(
                    SNDCGANDiscriminator(variant, 128, sn=False)
                ),
                "paper": int(paper_value(sec, claim, "receptive_field")) if claim else None,
            }
        )
    rows.append(
        {
            "discriminator": "SNDCGAN D (128px)",
            "variant": "spap_c2f",
            "placement": "conv 4 (3x3/1 on the 32x32 map), not the paper's stated layer",
            "receptive_field": discriminator_receptive_field(
                SNDCGANDiscriminator("spap_c2f", 128, atrous_layer=4, sn=False)
            ),
            "paper": int(paper_value(sec, "SNDCGAN D + atrous", "receptive_field")),
        }
    )
    for variant in VARIANTS:
        claim = {
            "vanilla": "PatchGAN (vanilla)",
            "spap_c2f": "PatchGAN + atrous (3,5,7)",
            "spap_f2c": "PatchGAN + atrous (3,5,7)",
        }.get(variant)
        rows.append(
            {
                "discriminator": "PatchGAN 70x70 (256px)",
                "variant": variant,
                "placement": "conv 2 (4x4/2 on the 64x64 map)" if variant != "vanilla" else "-",
                "receptive_field": discriminator_receptive_field(PatchGANDiscriminator(variant)),
                "paper": int(paper_value(sec, claim, "receptive_field")) if claim else None,
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    """Plain-text table for the terminal."""
    cols = list(rows[0])
    cells = [
        [("-" if r[c] is None else f"{r[c]:,}" if isinstance(r[c], int) else str(r[c])) for c in cols]
        for r in rows
    ]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)
