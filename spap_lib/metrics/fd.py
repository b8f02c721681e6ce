"""Fréchet distance of a generator or a folder against reference statistics, with its metric name.

The result carries ``metric`` ("FID" with the Inception backbone, "FD-synth" with the offline
stand-in) and ``kernel_metric`` ("KID" / "KD-synth"); write tables from ``FDResult.as_dict()`` and the
name can never be lost. The paper (Sec. 4.2, Table 1) does not state how many samples its FID uses; FD is
biased upward at small ``num`` -- compare variants at equal ``num`` only, and read KID (unbiased) beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from spap_lib.errors import ConfigError
from spap_lib.metrics.backbones import Backbone
from spap_lib.metrics.frechet import frechet_distance_to, kernel_distance
from spap_lib.metrics.stats import ReferenceStats


@dataclass(frozen=True)
class FDResult:
    """One Fréchet (and optionally kernel) distance and everything needed to name it."""

    metric: str  # "FID" or "FD-synth"
    value: float
    kernel_metric: str  # "KID" or "KD-synth"
    kernel_value: float | None
    backbone: str
    n: int
    n_ref: int
    reference: str

    def as_dict(self) -> dict:
        """Plain dict; ``{metric: value}`` pairs are also added under the metric names."""
        d = asdict(self)
        d[self.metric] = self.value
        if self.kernel_value is not None:
            d[self.kernel_metric] = self.kernel_value
        return d


def _check(backbone: Backbone, reference: ReferenceStats) -> None:
    if reference.backbone_id != backbone.id:
        raise ConfigError(
            f"reference statistics were computed with backbone {reference.backbone_id}, not "
            f"{backbone.id}: recompute them with reference_stats(backbone, ...)"
        )


def fd_from_features(
    feats: np.ndarray,
    reference: ReferenceStats,
    backbone: Backbone,
    kernel: bool = True,
    kernel_seed: int = 0,
) -> FDResult:
    """FD (and KD) of a feature set against reference statistics."""
    _check(backbone, reference)
    value = frechet_distance_to(feats, reference.mu, reference.sigma)
    kd = kernel_distance(feats, reference.feats, seed=kernel_seed) if kernel else None
    return FDResult(
        metric=backbone.metric,
        value=value,
        kernel_metric=backbone.kernel_metric,
        kernel_value=kd,
        backbone=backbone.id,
        n=int(len(feats)),
        n_ref=reference.n,
        reference=reference.label,
    )
