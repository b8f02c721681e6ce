"""Precision, recall, density and coverage of generated images against real ones, in a feature space.

Precision and recall (Kynkäänniemi et al. 2019): the share of generated samples inside the real manifold
(the union of k-nearest-neighbour balls of the real features), and of real samples inside the generated one.
Density and coverage (Naeem et al. 2020): how many real balls a generated sample falls in on average, divided
by k (can exceed 1), and the share of real balls holding at least one generated sample. FID mixes fidelity
(precision, density) and diversity (recall, coverage); these four say which of the two moved.

Computed by the reference implementation, the ``prdc`` package (Naeem et al.), on Inception pool features;
real and generated sets of equal size (the kNN radii depend on the set's size) and k = 5, as in both papers.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from spap_lib.errors import ConfigError

PRDC_K = 5


def prdc(real: np.ndarray, fake: np.ndarray, k: int = PRDC_K) -> dict[str, float | int]:
    """{precision, recall, density, coverage} of ``fake`` (N, D) features against ``real`` (M, D), with k."""
    from prdc import compute_prdc

    real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ConfigError(f"prdc needs two (N, D) feature arrays of one D, got {real.shape} and {fake.shape}")
    if min(len(real), len(fake)) <= k:
        raise ConfigError(f"prdc needs more than k={k} samples per set, got {len(real)} and {len(fake)}")
    with contextlib.redirect_stdout(io.StringIO()):  # the package prints the set sizes
        scores = compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    return {
        **{name: float(v) for name, v in scores.items()},
        "prdc_k": k,
        "n_real": len(real),
        "n_fake": len(fake),
    }
