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

from spap_lib.errors import ConfigError

VARIANTS = ("vanilla", "aspp", "spap_c2f", "spap_f2c")

# How the paper's tables name each variant (the `method` column of paper_tables.csv).
SNDCGAN_LABELS = {
    "vanilla": "Vanilla SNDCGAN",
    "aspp": "SNDCGAN+ASPP",
    "spap_f2c": "SNDCGAN+SPAP (fine to coarse)",
    "spap_c2f": "SNDCGAN+SPAP (coarse to fine)",
}
CYCLEGAN_LABELS = {
    "vanilla": "CycleGAN",
    "aspp": "ASPP",
    "spap_f2c": "SPAP (fine-to-coarse)",
    "spap_c2f": "SPAP (coarse-to-fine)",
}


def check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ConfigError(f"unknown variant {variant!r}: choose one of {', '.join(VARIANTS)}")
    return variant


def generator_module(variant: str) -> str | None:
    """``None``, ``"aspp"`` or ``"spap"``: the block inserted in the generator."""
    check_variant(variant)
    return {"vanilla": None, "aspp": "aspp"}.get(variant, "spap")


def spap_order(variant: str) -> str:
    return "coarse_to_fine" if variant == "spap_c2f" else "fine_to_coarse"


def discriminator_module(variant: str) -> str | None:
    """``None``, ``"aspp"`` or ``"atrous"``: what the discriminator gets."""
    check_variant(variant)
    return {"vanilla": None, "aspp": "aspp"}.get(variant, "atrous")
