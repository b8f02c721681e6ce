"""The four model variants of the paper's tables and what each puts in G and D.

| variant    | generator module         | discriminator                      |
|------------|--------------------------|------------------------------------|
| vanilla    | none                     | none                               |
| aspp       | ASPP                     | ASPP on the chosen layer's input   |
| spap_c2f   | SPAP, coarse-to-fine     | atrous convs (3, 5, 7) on the layer|
| spap_f2c   | SPAP, fine-to-coarse     | atrous convs (3, 5, 7) on the layer|

Table 1's ASPP row puts ASPP "to both generator and discriminator" (Sec. 4.4); the SPAP rows use SPAP in G
and atrous convolutions in D (Sec. 3.2). The paper does not say where ASPP sits in D: we put it on the
input of the layer the SPAP variants augment, so both variants touch D at the same depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from spap_lib.errors import ConfigError


@dataclass(frozen=True)
class VariantSpec:
    """One row of the paper's tables: what it puts in G and D, and how each table names it."""

    name: str
    generator: str | None  # "spap" | "aspp" | None
    discriminator: str | None  # "atrous" | "aspp" | None
    order: str | None  # SPAP's fusion order
    gan_label: str  # the `method` of Table 1 (paper_tables.csv)
    cyclegan_label: str  # the `method` of Tables 2-3


VARIANT_SPECS: dict[str, VariantSpec] = {
    v.name: v
    for v in (
        VariantSpec("vanilla", None, None, None, "Vanilla SNDCGAN", "CycleGAN"),
        VariantSpec("aspp", "aspp", "aspp", None, "SNDCGAN+ASPP", "ASPP"),
        VariantSpec(
            "spap_c2f",
            "spap",
            "atrous",
            "coarse_to_fine",
            "SNDCGAN+SPAP (coarse to fine)",
            "SPAP (coarse-to-fine)",
        ),
        VariantSpec(
            "spap_f2c",
            "spap",
            "atrous",
            "fine_to_coarse",
            "SNDCGAN+SPAP (fine to coarse)",
            "SPAP (fine-to-coarse)",
        ),
    )
}
VARIANTS = tuple(VARIANT_SPECS)
# How the paper's tables name each variant (the `method` column of paper_tables.csv).
SNDCGAN_LABELS = {n: v.gan_label for n, v in VARIANT_SPECS.items()}
CYCLEGAN_LABELS = {n: v.cyclegan_label for n, v in VARIANT_SPECS.items()}


def check_variant(variant: str) -> str:
    if variant not in VARIANT_SPECS:
        raise ConfigError(f"unknown variant {variant!r}: choose one of {', '.join(VARIANTS)}")
    return variant


def generator_module(variant: str) -> str | None:
    """``None``, ``"aspp"`` or ``"spap"``: the block inserted in the generator."""
    return VARIANT_SPECS[check_variant(variant)].generator


def spap_order(variant: str) -> str:
    order = VARIANT_SPECS[check_variant(variant)].order
    if order is None:
        raise ConfigError(f"variant {variant!r} has no SPAP block, so no fusion order")
    return order


def discriminator_module(variant: str) -> str | None:
    """``None``, ``"aspp"`` or ``"atrous"``: what the discriminator gets."""
    return VARIANT_SPECS[check_variant(variant)].discriminator
