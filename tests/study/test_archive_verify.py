"""The committed archive came from this code: re-training the first steps of archived runs gives the archived
weights and losses bit for bit (on the CPU type the archive was made on; elsewhere the difference is shown)."""

import pytest

from spap_lib.study import plan
from spap_lib.study.archive import completeness, run_path, verify_run


@pytest.mark.parametrize("part", ["synthesis", "translation"])
def test_first_archived_run_of_each_part_verifies(part, tmp_path):
    archived = completeness(plan.ARCHIVE_ROOT, part).archived
    if not archived:
        pytest.skip(f"no {part} run archived yet")
    result = verify_run(run_path(plan.parse_name(archived[0])), work=tmp_path)
    if not result.same_cpu:
        pytest.skip(f"archived on {result.archived_cpu}, here {result.this_cpu}: {result.line()}")
    assert result.ok, result.line()


def test_every_archived_record_is_complete():
    c = completeness(plan.ARCHIVE_ROOT)  # raises on a record missing a field or trained off the plan's config
    assert set(c.archived) <= {s.name for s in plan.study_plan()}


def test_archived_generators_load_from_their_run_records_config():
    """The archived fp16 generators are built from their run.json's config (no size, width or z_dist
    restated): a synthesis run's G draws images of its part's size, a translation run has both directions."""
    import torch

    from spap_lib.study.archive import trained_generator, trained_generators
    from spap_lib.training import sample

    G = trained_generator(plan.ARCHIVE_ROOT, "spap_c2f", 0, plan.SYNTHESIS.name)
    if G is None:
        pytest.skip("no archived 32 px generator")
    assert sample(G, 2).shape == (2, 3, plan.SYNTHESIS.image_size, plan.SYNTHESIS.image_size)
    assert G.z_dist == plan.SYNTHESIS.overrides.get("z_dist", "uniform")
    assert trained_generator(plan.ARCHIVE_ROOT, "spap_c2f", 99, plan.SYNTHESIS.name) is None
    nets = trained_generators(run_path(plan.parse_name("translation-vanilla-s0")).parent)
    if nets is not None:
        assert set(nets) == {"G_AB", "G_BA"}
        x = torch.zeros(1, 3, plan.TRANSLATION.image_size, plan.TRANSLATION.image_size)
        assert nets["G_AB"](x).shape == x.shape
