"""The dataset registry: one entry per dataset of the paper, consistent with the paper's table and the code."""

import pytest

from spap_lib.data import SYNTH_NAMES
from spap_lib.data.registry import DATASETS, SCORES, dataset_spec, datasets_of
from spap_lib.errors import ConfigError
from spap_lib.paper import paper_rows


def test_every_entry_matches_the_paper_tables_and_the_synthetic_sets():
    rows = paper_rows()
    for name, spec in DATASETS.items():
        assert name in SYNTH_NAMES and spec.score in SCORES
        mine = [r for r in rows if r["table"] == spec.table and r["dataset"] == spec.paper_name]
        assert mine, f"{name}: no rows of {spec.table} for {spec.paper_name}"
        if spec.kind == "cyclegan":
            assert {r["direction"] for r in mine} == set(spec.directions)
            assert set(spec.directions.values()) == {"G_AB", "G_BA"}
    assert datasets_of("synthesis") == ("faces",)
    assert datasets_of("translation") == ("streets", "maps", "facades")
    assert [n for n, s in DATASETS.items() if s.needs_segmenter] == ["streets"]


def test_unknown_or_wrong_kind_is_a_one_line_error():
    with pytest.raises(ConfigError, match="choose one of faces"):
        dataset_spec("celeba", "synthesis")
    with pytest.raises(ConfigError, match="unknown translation dataset 'faces'"):
        dataset_spec("faces", "translation")
