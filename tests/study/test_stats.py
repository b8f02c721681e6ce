"""Confidence intervals, paired differences, verdicts and power on numbers with known answers."""

import pytest

from spap_lib.errors import ConfigError
from spap_lib.study.stats import Interval, holm, mean_ci, paired, power_at, seeds_needed, verdict


def test_mean_ci_matches_the_t_table():
    ci = mean_ci([1.0, 2.0, 3.0])
    # t_{0.975, 2} = 4.302653; sd = 1; half width = 4.302653 / sqrt(3)
    assert ci.mean == 2.0 and ci.sd == 1.0 and ci.n == 3
    assert ci.half_width == pytest.approx(4.302653 / 3**0.5, rel=1e-6)
    with pytest.raises(ConfigError):
        mean_ci([1.0])
    with pytest.raises(ConfigError):
        mean_ci([1.0, float("nan")])


def test_paired_difference_uses_common_seeds_only():
    values = {"vanilla": {0: 10.0, 1: 12.0, 2: 14.0, 3: 99.0}, "spap": {0: 8.0, 1: 9.0, 2: 13.0}}
    p = paired(values, "spap")
    assert p.seeds == (0, 1, 2)
    assert p.difference.mean == pytest.approx(-2.0) and p.difference.sd == pytest.approx(1.0)
    assert p.relative.mean == pytest.approx(-2.0 / 12.0)
    assert p.relative.low == pytest.approx(p.difference.low / 12.0)
    with pytest.raises(ConfigError, match="share 1 seed"):
        paired({"vanilla": {0: 1.0}, "spap": {0: 2.0, 1: 3.0}}, "spap")


@pytest.mark.parametrize(
    ("low", "high", "paper", "expected"),
    [
        (-0.40, -0.05, -0.23, "supports"),  # FID lower for sure, as the paper's -23%
        (0.02, 0.30, -0.23, "contradicts"),  # FID higher for sure
        (-0.10, 0.15, -0.23, "does not support"),  # excludes the paper's -23%
        (-0.40, 0.10, -0.23, "inconclusive at this scale"),  # contains 0 and -23%
        (0.01, 0.09, 0.05, "supports"),  # PSNR higher for sure, as the paper's +5%
        (-0.02, 0.03, 0.05, "does not support"),  # excludes +5%
        (-0.02, 0.08, 0.05, "inconclusive at this scale"),
        # the paper's own table shows a variant worse than vanilla (Table 3's ASPP, PSNR -12%): that is the claim
        (-0.20, -0.05, -0.12, "supports"),
        (0.01, 0.10, -0.12, "contradicts"),
        (-0.05, 0.03, -0.12, "does not support"),
    ],
)
def test_verdict(low, high, paper, expected):
    rel = Interval((low + high) / 2, low, high, 0.1, 5)
    assert verdict(rel, paper) == expected


def test_verdict_refuses_a_paper_effect_of_no_change():
    with pytest.raises(ConfigError, match="no change"):
        verdict(Interval(0, -1, 1, 1, 3), 0.0)


def test_seeds_needed_matches_gpower():
    # G*Power, paired t-test, d = 1, alpha 0.05 two-tailed, power 0.8: n = 10, actual power 0.803
    assert seeds_needed(sd=1.0, effect=1.0) == 10
    assert power_at(1.0, 1.0, 10) == pytest.approx(0.8031, abs=1e-3)
    assert seeds_needed(sd=2.0, effect=1.0) > seeds_needed(sd=1.0, effect=1.0)
    with pytest.raises(ConfigError):
        seeds_needed(0.0, 1.0)


def test_power_far_in_the_tail_is_a_number():
    # the study's own case: paired FID differences of sd 14.4 against a -23% effect of 54 FID, 5 seeds --
    # scipy's noncentral-t cdf is NaN this far in the tail, the power must still come out (~1)
    power = power_at(14.43, 54.17, 5)
    assert power == pytest.approx(1.0, abs=1e-4) and power <= 1.0
    assert seeds_needed(sd=1.0, effect=30.0) == 2  # 2 seeds suffice for an effect of 30 sd


def test_holm_matches_the_textbook_example():
    # Holm (1979) step-down: sorted p 0.01, 0.02, 0.03, 0.04 of m = 4 -> 0.04, 0.06, 0.06, 0.06
    assert holm([0.03, 0.01, 0.04, 0.02]) == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([]) == []


def test_paired_p_agrees_with_scipy_and_the_interval():
    from scipy import stats as st

    from spap_lib.study.stats import paired_p

    d = [-3.0, -1.5, -4.2, 0.4, -2.2]
    ci = mean_ci(d)
    assert paired_p(ci) == pytest.approx(st.ttest_1samp(d, 0.0).pvalue, rel=1e-12)
    # p < 0.05 exactly when the 95% interval excludes 0; at the Bonferroni level for m claims, when p < 0.05 / m
    assert (paired_p(ci) < 0.05) == (ci.high < 0)
    wide = mean_ci(d, 1 - 0.05 / 6)
    assert (paired_p(ci) < 0.05 / 6) == (wide.high < 0)


def test_welch_matches_scipy():
    from scipy import stats as st

    from spap_lib.study.stats import welch

    a, b = [1.0, 2.0, 3.5, 2.2], [3.1, 4.0, 5.2, 4.4, 6.0]
    w = welch(a, b)
    res = st.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert (w.low, w.high) == pytest.approx((ci.low, ci.high), rel=1e-9)
