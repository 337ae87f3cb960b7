"""SRM checks vs reference §3.3 oracles and the §5.5 sequential simulation."""

from __future__ import annotations

import math
import random

import pytest

from parley.experiments.stats.srm import (
    check_srm,
    chi2_srm,
    sequential_srm_bayes_factor,
)


def test_growthbook_chi2_oracle() -> None:
    # growthbook test_gbstats.py check_srm([1000, 1200], [0.5, 0.5]), 9 dp.
    assert chi2_srm([1000, 1200], [0.5, 0.5]) == pytest.approx(0.000020079, abs=1e-9)


@pytest.mark.parametrize(
    ("counts", "bf", "tol"),
    [([1000, 1200], 239.049, 5e-4), ([100, 140], 2.2643, 5e-5), ([500, 520], 0.048, 5e-4)],
)
def test_sequential_bayes_factor(counts: list[int], bf: float, tol: float) -> None:
    # Self-computed values of §2.5/§3.3, to half a unit of the last printed digit.
    assert sequential_srm_bayes_factor(counts, [0.5, 0.5]) == pytest.approx(bf, abs=tol)


def test_check_srm_flags() -> None:
    strong = check_srm([1000, 1200], [1, 1])
    assert strong.alarm
    assert strong.chi2_p_value is not None
    assert strong.chi2_p_value < 0.001
    # χ² "warning" (p ≈ 0.0098) but no sequential alarm (§2.5).
    weak = check_srm([100, 140], [1, 1])
    assert not weak.alarm
    assert weak.chi2_p_value == pytest.approx(0.0098, abs=1e-4)
    assert check_srm([5, 9], [1, 1]).chi2_p_value is None  # < 8 per arm


def test_chi2_three_arms_and_zero_weight() -> None:
    assert chi2_srm([333, 333, 334], [1, 1, 1]) > 0.99
    assert sequential_srm_bayes_factor([10, 10, 1], [0.5, 0.5, 0.0]) == math.inf


def test_sequential_srm_false_alarm_and_power() -> None:
    # §5.5 (scaled down): A/A checked every 10 units up to 2000 -> false alarms <= alpha = 0.01;
    # a 40/60 leak is caught (pilot ≈ 100 %).
    rng = random.Random(5)

    def ever_alarms(share_b: float) -> bool:
        counts = [0, 0]
        for i in range(1, 2001):
            counts[rng.random() < share_b] += 1
            if i % 10 == 0 and sequential_srm_bayes_factor(counts, [1, 1]) >= 100:
                return True
        return False

    runs = 300
    false_alarms = sum(ever_alarms(0.5) for _ in range(runs)) / runs
    assert false_alarms <= 0.01 + 3 * math.sqrt(0.01 * 0.99 / runs)
    assert sum(ever_alarms(0.6) for _ in range(50)) / 50 >= 0.95
