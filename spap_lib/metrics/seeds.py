"""Summaries of one metric over several training seeds (Table 1 reports the best and the median).

The paper (Sec. 4.3, Table 1) gives, per variant, the best and the median FID over its runs without
saying how many; ``summarize_seeds`` computes both (plus mean, std and the per-seed values) for any
metric, with "best" the minimum for distances and the maximum for scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from spap_lib.errors import ConfigError


@dataclass(frozen=True)
class SeedSummary:
    """Best, median, mean and (sample, ddof=1) std over seeds; ``best_seed`` is the key of the best."""

    best: float
    median: float
    mean: float
    std: float
    n: int
    best_seed: int | str | None
    values: dict

    def as_dict(self) -> dict:
        return {
            "best": self.best,
            "median": self.median,
            "mean": self.mean,
            "std": self.std,
            "n": self.n,
            "best_seed": self.best_seed,
            "values": dict(self.values),
        }


def summarize_seeds(
    values: Sequence[float] | Mapping[int | str, float], lower_is_better: bool = True
) -> SeedSummary:
    """Summarise per-seed values (a list, or a {seed: value} mapping).

    ``lower_is_better=True`` for FID / FD-synth / KID; False for accuracies, IoU, PSNR, SSIM.
    The median of an even count is the mean of the two middle values (numpy's definition).
    NaN values are an error (a failed run must be dealt with, not averaged away).
    """
    items = list(values.items()) if isinstance(values, Mapping) else list(enumerate(values))
    if not items:
        raise ConfigError("summarize_seeds got no values: run at least one seed")
    arr = np.array([float(v) for _, v in items], dtype=np.float64)
    if np.isnan(arr).any():
        bad = [k for k, v in items if math.isnan(float(v))]
        raise ConfigError(f"seeds {bad} have NaN values: rerun or drop them explicitly")
    i = int(np.argmin(arr) if lower_is_better else np.argmax(arr))
    return SeedSummary(
        best=float(arr[i]),
        median=float(np.median(arr)),
        mean=float(arr.mean()),
        std=float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
        n=len(arr),
        best_seed=items[i][0],
        values={k: float(v) for k, v in items},
    )
