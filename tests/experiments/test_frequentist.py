"""Fixed-horizon tests vs growthbook `tests/frequentist/test_tests.py` (reference §3.2, 5 dp)."""

from __future__ import annotations

import math

import pytest

from parley.experiments.stats.frequentist import fixed_test
from parley.experiments.stats.moments import ProportionStats, SampleStats, frequentist_variance

A = SampleStats(3407, 1396.87, 52377.9767)
A_3000 = SampleStats(3000, 1396.87, 52377.9767)
B = SampleStats(3461, 2422.7, 134698.29)
TOL = 1e-5


def test_welch_relative() -> None:
    r = fixed_test(A, B, relative=True)
    assert (r.estimate, r.std_error) == pytest.approx((0.70732, 0.37879), abs=TOL)
    assert (r.lower, r.upper, r.p_value) == pytest.approx((-0.03526, 1.44989, 0.06191), abs=TOL)


def test_welch_absolute() -> None:
    r = fixed_test(A, B)
    assert (r.estimate, r.std_error) == pytest.approx((0.29, 0.12478), abs=TOL)
    assert (r.lower, r.upper, r.p_value) == pytest.approx((0.04538, 0.53462, 0.02016), abs=TOL)


def test_proportions_relative() -> None:
    r = fixed_test(ProportionStats(28, 14), ProportionStats(30, 16), relative=True)
    assert (r.estimate, r.std_error) == pytest.approx((0.06667, 0.2717), abs=TOL)
    assert (r.lower, r.upper, r.p_value) == pytest.approx((-0.47767, 0.61101, 0.80707), abs=TOL)


def test_one_sided_treatment_greater() -> None:
    rel = fixed_test(A_3000, B, relative=True, alternative="greater")
    assert (rel.estimate, rel.lower, rel.p_value) == pytest.approx(
        (0.50336, -0.045137, 0.065583), abs=TOL
    )
    assert rel.upper == math.inf
    ab = fixed_test(A_3000, B, alternative="greater")
    assert (ab.estimate, ab.lower, ab.p_value) == pytest.approx(
        (0.234377, 0.020791, 0.035543), abs=TOL
    )


def test_one_sided_less_mirrors_greater() -> None:
    greater = fixed_test(A_3000, B, alternative="greater")
    less = fixed_test(A_3000, B, alternative="less")
    assert less.p_value == pytest.approx(1 - greater.p_value)
    assert less.lower == -math.inf


def test_z_test_for_proportions_matches_textbook() -> None:
    # 300/1000 vs 360/1000 (§2.3 worked example): unpooled z = 2.8591, p = 0.00425.
    r = fixed_test(ProportionStats(1000, 300), ProportionStats(1000, 360), distribution="normal")
    assert r.estimate / r.std_error == pytest.approx(2.8591, abs=1e-4)
    assert r.p_value == pytest.approx(0.00425, abs=1e-5)


def test_frequentist_variance_oracle() -> None:
    # growthbook power.test.ts frequentistVariance(2, 7, 4, 0.5, 5, 15) (§3.6).
    assert frequentist_variance(2, 7, 4, 0.5, 5, 15, False) == pytest.approx(0.53333, abs=TOL)
    assert frequentist_variance(2, 7, 4, 0.5, 5, 15, True) == pytest.approx(0.00589, abs=TOL)


def test_constant_arms_rejected() -> None:
    with pytest.raises(ValueError, match="standard error"):
        fixed_test(SampleStats(5, 5.0, 5.0), SampleStats(5, 5.0, 5.0))
