"""notebooks/sanitize.cfg: what nbval ignores between two executions of a notebook, and what it still compares."""

import configparser
import re
from pathlib import Path

import pandas as pd

CFG = Path(__file__).resolve().parents[2] / "notebooks" / "sanitize.cfg"


def sanitize(text: str) -> str:
    """Apply every section's regex in file order, as nbval does."""
    cfg = configparser.ConfigParser()
    cfg.read(CFG)
    for section in cfg.sections():
        text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
    return text


def _provenance(wall: str, fid: str) -> pd.DataFrame:
    rows = {"training": "16×16, width ×0.0625, batch 8, 6 steps", "FID": fid, "wall time, all runs (s)": wall}
    return pd.DataFrame({"value": list(rows.values())}, index=list(rows))


def test_wall_times_of_any_width_compare_equal_in_text_and_html():
    a, b = _provenance("5", "82.995"), _provenance("123", "82.995")
    assert sanitize(repr(a)) == sanitize(repr(b))
    assert sanitize(a.to_html()) == sanitize(b.to_html())


def test_computed_numbers_and_commits():
    base = sanitize(repr(_provenance("5", "82.995")))
    assert sanitize(repr(_provenance("5", "83.995"))) != base  # a changed score is still a difference
    assert sanitize("FD-synth = 82.99512") == sanitize("FD-synth = 82.99549")  # compared to 3 decimals
    assert sanitize("git commit 4cf629c1a2b3") == sanitize("git commit 0123456789ab") == "git commit COMMIT"


def test_a_list_of_commits_compares_equal_to_one():
    # runs reused from a work tree's cache come from several commits; a fresh clone trains them at one
    one, two = "4cf629c1a2b3", "4cf629c1a2b3, 0123456789ab"
    a = pd.DataFrame(
        {"value": ["16×16, width ×0.0625, batch 8, 6 steps", one]}, index=["training", "git commit"]
    )
    b = pd.DataFrame(
        {"value": ["16×16, width ×0.0625, batch 8, 6 steps", two]}, index=["training", "git commit"]
    )
    assert sanitize(repr(a)) == sanitize(repr(b))
    assert sanitize(a.to_html()) == sanitize(b.to_html())
    assert sanitize("id x4cf629c1a2b3ff") == "id x4cf629c1a2b3ff"  # hex inside a word is not a commit
