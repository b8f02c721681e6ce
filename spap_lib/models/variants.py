"""The model variants of the paper's tables and what each puts in G and D, per recipe.

| variant    | generator                 | discriminator                      | recipes                       |
|------------|---------------------------|------------------------------------|-------------------------------|
| vanilla    | none                      | none                               | gan, cyclegan, pix2pix, scan  |
| aspp       | ASPP                      | ASPP on the chosen layer's input   | gan, cyclegan                 |
| spap_c2f   | SPAP, coarse-to-fine      | atrous convs (3, 5, 7) on the layer| gan, cyclegan                 |
| spap_f2c   | SPAP, fine-to-coarse      | atrous convs (3, 5, 7) on the layer| gan, cyclegan                 |
| selfmod    | every BN self-modulated   | none                               | gan                           |

Table 1's ASPP row puts ASPP "to both generator and discriminator" (Sec. 4.4); the SPAP rows use SPAP in G
and atrous convolutions in D (Sec. 3.2). The paper does not say where ASPP sits in D: we put it on the
input of the layer the SPAP variants augment, so both variants touch D at the same depth. Table 1's SELF-MOD
row [8] is the SNDCGAN with self-modulated batch norm (:mod:`spap_lib.models.selfmod`); it exists for the
SNDCGAN recipe only. The translation baselines Pix2Pix and SCAN (Tables 2-3) are recipes of their own whose
only variant is ``vanilla`` (their reference networks, nothing added).

:data:`VARIANTS` are the variants every paper recipe (SNDCGAN and CycleGAN) has -- the SPAP comparison of
Tables 1-3; :func:`variants_for` gives all the variants of one recipe.
"""

from __future__ import annotations

from dataclasses import dataclass

from spap_lib.errors import ConfigError

ALL_RECIPES = ("gan", "cyclegan", "pix2pix", "scan")
PAPER_RECIPES = ("gan", "cyclegan")  # the two networks the paper adds SPAP to


@dataclass(frozen=True)
class VariantSpec:
    """One row of the paper's tables: what it puts in G and D, how each table names it, where it exists."""

    name: str
    generator: str | None  # "spap" | "aspp" | None
    discriminator: str | None  # "atrous" | "aspp" | None
    order: str | None  # SPAP's fusion order
    gan_label: str | None  # the `method` of Table 1 (paper_tables.csv); None: not an SNDCGAN variant
    cyclegan_label: str | None  # the `method` of Tables 2-3; None: not a CycleGAN variant
    recipes: tuple[str, ...] = PAPER_RECIPES  # the training recipes (configs' `kind`) it exists for
    generator_norm: str = "batch"  # SNDCGAN generator's BNs: "batch" (own affine) | "self_modulated"


VARIANT_SPECS: dict[str, VariantSpec] = {
    v.name: v
    for v in (
        VariantSpec("vanilla", None, None, None, "Vanilla SNDCGAN", "CycleGAN", ALL_RECIPES),
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
        VariantSpec("selfmod", None, None, None, "SELF-MOD", None, ("gan",), "self_modulated"),
    )
}


def variants_for(recipe: str) -> tuple[str, ...]:
    """The variants recipe ``recipe`` ("gan", "cyclegan", "pix2pix", "scan") can train, in table order."""
    if recipe not in ALL_RECIPES:
        raise ConfigError(f"unknown recipe {recipe!r}: choose one of {', '.join(ALL_RECIPES)}")
    return tuple(n for n, v in VARIANT_SPECS.items() if recipe in v.recipes)


# The variants of both paper recipes (the SPAP comparison of Tables 1-3).
VARIANTS = tuple(n for n, v in VARIANT_SPECS.items() if set(PAPER_RECIPES) <= set(v.recipes))
# How the paper's tables name each variant (the `method` column of paper_tables.csv).
SNDCGAN_LABELS = {n: VARIANT_SPECS[n].gan_label for n in variants_for("gan")}
CYCLEGAN_LABELS = {n: VARIANT_SPECS[n].cyclegan_label for n in variants_for("cyclegan")}


def check_variant(variant: str, recipe: str | None = None) -> str:
    """``variant`` if it exists (for ``recipe`` when given); a one-line :class:`ConfigError` otherwise."""
    if variant not in VARIANT_SPECS:
        choices = variants_for(recipe) if recipe is not None else tuple(VARIANT_SPECS)
        raise ConfigError(f"unknown variant {variant!r}: choose one of {', '.join(choices)}")
    if recipe is not None and variant not in variants_for(recipe):
        only = ", ".join(VARIANT_SPECS[variant].recipes)
        raise ConfigError(
            f"variant {variant!r} exists only for {only}, not for {recipe}: "
            f"choose one of {', '.join(variants_for(recipe))}"
        )
    return variant


def generator_module(variant: str) -> str | None:
    """``None``, ``"aspp"`` or ``"spap"``: the block inserted in the generator."""
    return VARIANT_SPECS[check_variant(variant)].generator


def generator_norm(variant: str) -> str:
    """``"batch"`` or ``"self_modulated"``: the SNDCGAN generator's normalisation."""
    return VARIANT_SPECS[check_variant(variant)].generator_norm


def spap_order(variant: str) -> str:
    order = VARIANT_SPECS[check_variant(variant)].order
    if order is None:
        raise ConfigError(f"variant {variant!r} has no SPAP block, so no fusion order")
    return order


def discriminator_module(variant: str) -> str | None:
    """``None``, ``"aspp"`` or ``"atrous"``: what the discriminator gets."""
    return VARIANT_SPECS[check_variant(variant)].discriminator
