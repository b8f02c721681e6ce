"""The check tables count shapes on the meta device without spectral norm: the same numbers as real builds."""

import torch

from spap_lib.models import (
    CycleGANGenerator,
    SNDCGANDiscriminator,
    SNDCGANGenerator,
    count_parameters,
    discriminator_receptive_field,
    variants_for,
)
from spap_lib.models.checks import parameter_table, receptive_field_table


def test_meta_builds_without_spectral_norm_count_like_real_ones():
    for variant in variants_for("gan"):
        real_g, real_d = SNDCGANGenerator(variant, 32, 0.25), SNDCGANDiscriminator(variant, 32, 0.25)
        with torch.device("meta"):
            meta_g = SNDCGANGenerator(variant, 32, 0.25, sn=False)
            meta_d = SNDCGANDiscriminator(variant, 32, 0.25, sn=False)
        assert next(meta_g.parameters()).is_meta
        assert count_parameters(meta_g) == count_parameters(real_g), variant
        assert count_parameters(meta_d) == count_parameters(real_d), variant
        assert discriminator_receptive_field(meta_d) == discriminator_receptive_field(real_d), variant


def test_parameter_table_holds_the_real_networks_counts():
    rows = {(r["model"], r["variant"]): r for r in parameter_table()}
    assert rows[("SNDCGAN 128px", "vanilla")]["params_G"] == 19_926_019  # sndcgan.py's documented count
    assert rows[("CycleGAN 256px", "spap_c2f")]["params_G"] == count_parameters(CycleGANGenerator("spap_c2f"))
    assert torch.zeros(1).device.type == "cpu"  # the meta device does not leak out of the table


def test_receptive_field_table_matches_section_4_6_where_it_should():
    rows = receptive_field_table()
    vanilla = [r for r in rows if r["variant"] == "vanilla"]
    assert all(r["receptive_field"] == r["paper"] for r in vanilla)
