"""The committed archive came from this code: re-training the first steps of archived runs gives the archived
weights and losses bit for bit (on the CPU type the archive was made on; elsewhere the difference is shown)."""

import pytest

from spap_lib.study import plan as P
from spap_lib.study.archive import completeness, run_path, verify_run


@pytest.mark.parametrize("part", ["synthesis", "translation"])
def test_first_archived_run_of_each_part_verifies(part, tmp_path):
    archived = completeness(P.ARCHIVE_ROOT, part).archived
    if not archived:
        pytest.skip(f"no {part} run archived yet")
    result = verify_run(run_path(P.parse_name(archived[0])), work=tmp_path)
    if not result.same_cpu:
        pytest.skip(f"archived on {result.archived_cpu}, here {result.this_cpu}: {result.line()}")
    assert result.ok, result.line()


def test_every_archived_record_is_complete():
    c = completeness(P.ARCHIVE_ROOT)  # raises on a record missing a field or trained off the plan's config
    assert set(c.archived) <= {s.name for s in P.study_plan()}
