"""Statistics of the study: means with 95% confidence intervals, paired differences, the verdict, and power.

Everything is over seeds (the unit of replication; the paper reports best/median over runs, Table 1):

* ``mean_ci``: mean and the two-sided Student-t interval, mean +- t_{0.975, n-1} * sd / sqrt(n).
* ``paired``: per seed, variant minus vanilla (the runs of a seed share data order, latent codes and the
  initial weights of every shared layer), then ``mean_ci`` of those differences, also relative to vanilla's
  mean. Pairing removes the seed-to-seed variation the variants share.
* ``verdict``: from the interval of the relative paired difference and the paper's relative effect. The
  paper's claim is its effect's direction -- mostly an improvement (lower FID, higher PSNR/SSIM), but its own
  tables also show variants worse than vanilla (Table 3's ASPP on facades to labels), and then the claim
  checked is that degradation:
  - "supports": the whole interval is on the paper's side of 0 (at the 5% level);
  - "contradicts": the whole interval is on the other side of 0;
  - "does not support": the interval contains 0 but excludes a change as large as the paper's;
  - "inconclusive at this scale": the interval contains both 0 and the paper's effect.
* ``paired_p``, ``holm``: the two-sided paired t-test of "no change" and Holm's step-down adjustment of a
  family of such p-values (Holm 1979): the family-wise error of the claims tested together stays at 5%.
  ``paired(..., level=1 - 0.05 / m)`` gives Bonferroni's simultaneous intervals for m claims, from which
  ``verdict`` reads the family-wise verdicts (every verdict kind, not only "is there a change").
* ``welch``: the interval of the difference between two independent means (Welch-Satterthwaite), for an
  effect measured at two scales on separate runs.
* ``seeds_needed``: the smallest n for which a paired two-sided t-test at alpha = 0.05 has the asked power
  against a true difference ``effect`` when paired differences have standard deviation ``sd`` (noncentral t).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from spap_lib.errors import ConfigError

LEVEL = 0.95
VERDICTS = ("supports", "contradicts", "does not support", "inconclusive at this scale")


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` seeds with its standard deviation and confidence interval."""

    mean: float
    low: float
    high: float
    sd: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def scaled(self, factor: float) -> Interval:
        lo, hi = sorted((self.low * factor, self.high * factor))
        return Interval(self.mean * factor, lo, hi, self.sd * abs(factor), self.n)


def mean_ci(values: Sequence[float], level: float = LEVEL) -> Interval:
    """Mean and two-sided Student-t confidence interval of at least two values."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) < 2 or not np.all(np.isfinite(x)):
        raise ConfigError(f"a confidence interval needs >= 2 finite values, got {list(x)}")
    m, sd = float(x.mean()), float(x.std(ddof=1))
    half = float(_st.t.ppf(0.5 + level / 2, len(x) - 1)) * sd / math.sqrt(len(x))
    return Interval(m, m - half, m + half, sd, len(x))


@dataclass(frozen=True)
class Paired:
    """A variant against the baseline over the seeds both have."""

    variant: str
    seeds: tuple[int, ...]
    difference: Interval  # variant - baseline, in the metric's units
    relative: Interval  # the same divided by the baseline's mean over these seeds


def paired(
    values: Mapping[str, Mapping[int, float]], variant: str, baseline: str = "vanilla", level: float = LEVEL
) -> Paired:
    """Paired difference of ``variant`` to ``baseline``: ``values[variant][seed]`` per seed."""
    seeds = tuple(sorted(set(values.get(variant, {})) & set(values.get(baseline, {}))))
    if len(seeds) < 2:
        raise ConfigError(f"{variant} and {baseline} share {len(seeds)} seed(s): need at least 2")
    d = [values[variant][s] - values[baseline][s] for s in seeds]
    base = float(np.mean([values[baseline][s] for s in seeds]))
    diff = mean_ci(d, level)
    # relative to a baseline whose mean is 0 (a precision of 0) no change is defined: NaN, shown as "–"
    return Paired(variant, seeds, diff, diff.scaled(1 / base if base != 0 else float("nan")))


def paired_p(difference: Interval) -> float:
    """Two-sided p-value of the paired t-test that the mean difference is 0."""
    if difference.sd == 0:
        return 0.0 if difference.mean != 0 else 1.0
    t = difference.mean / (difference.sd / math.sqrt(difference.n))
    return float(2 * _st.t.sf(abs(t), difference.n - 1))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input's order: the k-th smallest of m is multiplied by
    m - k + 1, made non-decreasing in that order, and capped at 1."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def welch(a: Sequence[float], b: Sequence[float], level: float = LEVEL) -> Interval:
    """Mean of ``b`` minus mean of ``a`` with the Welch interval (independent samples, unequal variances);
    ``sd`` is the difference's standard error and ``n`` the rounded Welch-Satterthwaite degrees of freedom."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) < 2 or len(y) < 2:
        raise ConfigError(f"a Welch interval needs >= 2 values per sample, got {len(x)} and {len(y)}")
    va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1)) if se > 0 else len(x) + len(y) - 2
    d = float(y.mean() - x.mean())
    half = float(_st.t.ppf(0.5 + level / 2, df)) * se
    return Interval(d, d - half, d + half, se, round(df))


def verdict(relative: Interval, paper_effect: float) -> str:
    """One of ``VERDICTS`` (see the module docstring); ``paper_effect`` is the paper's relative change."""
    if paper_effect == 0:
        raise ConfigError("the paper reports no change for this claim: there is no direction to test")
    sign = 1.0 if paper_effect > 0 else -1.0  # turn the paper's direction into "positive"
    lo, hi = sorted((sign * relative.low, sign * relative.high))
    effect = sign * paper_effect
    if lo > 0:
        return "supports"
    if hi < 0:
        return "contradicts"
    if hi < effect:
        return "does not support"
    return "inconclusive at this scale"


def seeds_needed(sd: float, effect: float, power: float = 0.8, alpha: float = 0.05, n_max: int = 1000) -> int:
    """Smallest number of paired seeds (>= 2) giving ``power`` to detect a mean difference ``effect``."""
    if sd <= 0 or effect == 0:
        raise ConfigError(f"need sd > 0 and a non-zero effect, got sd={sd}, effect={effect}")
    for n in range(2, n_max + 1):
        if power_at(sd, effect, n, alpha) >= power:
            return n
    return n_max


def power_at(sd: float, effect: float, n: int, alpha: float = 0.05) -> float:
    """Power of the paired two-sided t-test with ``n`` seeds against a true difference ``effect``."""
    df = n - 1
    t_crit = _st.t.ppf(1 - alpha / 2, df)
    nc = abs(effect) / (sd / math.sqrt(n))
    # the lower tail P(T < -t | nc) as P(T > t | -nc): scipy's nct.cdf returns NaN far in the tail (large nc)
    return float(_st.nct.sf(t_crit, df, nc) + _st.nct.sf(t_crit, df, -nc))
