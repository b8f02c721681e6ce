"""Tables beside the paper: our values from the runs, the paper's from paper_tables.csv."""

import numpy as np

from spap_lib.models import CYCLEGAN_LABELS, SNDCGAN_LABELS
from spap_lib.reports.experiments import run_facts
from spap_lib.reports.runs import gan_table, translation_table


def test_gan_table(smoke_runs):
    table, metric = gan_table(smoke_runs["runs"])
    assert metric == "FD-synth"
    c2f = table.loc[SNDCGAN_LABELS["spap_c2f"]]
    assert c2f["seeds"] == 1
    assert (
        c2f["FD-synth best (ours)"] == c2f["FD-synth median (ours)"] == smoke_runs["gan"]["metrics"]["value"]
    )
    assert c2f["FID best (paper)"] == 18.47 and c2f["G params (paper)"] == 20.756e6
    assert np.isnan(table.loc[SNDCGAN_LABELS["vanilla"], "FD-synth best (ours)"])  # not run here


def test_translation_table(smoke_runs):
    table = translation_table(smoke_runs["runs"], ("maps",))
    row = table.loc[CYCLEGAN_LABELS["spap_c2f"]]
    ours = smoke_runs["maps"]["metrics"]["directions"]["aerial_to_map"]["psnr"]
    assert row[("aerial_to_map", "psnr", "ours")] == ours
    assert row[("aerial_to_map", "psnr", "paper")] == 25.02
    assert np.isnan(table.loc[CYCLEGAN_LABELS["vanilla"], ("aerial_to_map", "psnr", "ours")])


def test_run_facts(smoke_runs):
    facts = run_facts(smoke_runs["runs"] / "sndcgan-spap_c2f-s0")
    assert facts.loc["variant", "value"] == "spap_c2f"
    assert facts.loc["steps", "value"] == "6"
