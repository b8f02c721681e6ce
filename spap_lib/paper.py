"""The paper's reported numbers (``paper_tables.csv``, one value per row), for the 'paper' columns.

Columns: ``table, dataset, direction, method, metric, value``. Transcribed from Tables 1-3 and Sec. 4.6 of
Sun & Wu; never retype a paper number elsewhere -- look it up here.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from spap_lib.errors import ConfigError


@lru_cache(maxsize=1)
def paper_rows() -> tuple[dict[str, str], ...]:
    """All rows of the paper's tables; ``value`` stays a string (use :func:`paper_value`)."""
    with resources.files("spap_lib").joinpath("paper_tables.csv").open(newline="") as fh:
        return tuple(csv.DictReader(fh))


def paper_value(table: str, method: str, metric: str, direction: str = "", dataset: str = "") -> float:
    """One number of the paper, e.g. ``paper_value("table1", "SNDCGAN+ASPP", "fid_best")``."""
    hits = [
        r
        for r in paper_rows()
        if r["table"] == table
        and r["method"] == method
        and r["metric"] == metric
        and (not direction or r["direction"] == direction)
        and (not dataset or r["dataset"] == dataset)
    ]
    if len(hits) != 1:
        raise ConfigError(
            f"paper value ({table}, {method}, {metric}, {direction or '-'}, {dataset or '-'}) matches "
            f"{len(hits)} rows of paper_tables.csv: give direction/dataset to pick exactly one"
        )
    return float(hits[0]["value"])


def paper_value_or_nan(table: str, method: str, metric: str, direction: str = "", dataset: str = "") -> float:
    """:func:`paper_value`, or NaN where the paper reports no such number (e.g. SELF-MOD's median)."""
    try:
        return paper_value(table, method, metric, direction, dataset)
    except ConfigError:
        return float("nan")
