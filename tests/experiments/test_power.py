"""Power / MDE / sample size vs reference §3.6 (growthbook power.test.ts, spotify G*Power)."""

from __future__ import annotations

import math

import pytest

from parley.experiments.stats.power import (
    binomial_variance,
    mde,
    n_per_arm,
    power,
    sample_size_total,
)

VAR = 3909.9997749994377


def test_growthbook_fixed() -> None:
    assert power(10, VAR, 0.05, 400_000, 3) == pytest.approx(0.52144, abs=1e-5)
    assert mde(10, VAR, 400_000, 3) == pytest.approx(0.07027, abs=1e-5)


def test_growthbook_sequential() -> None:
    assert power(10, VAR, 0.05, 400_000, 3, n_star=5000) == pytest.approx(0.20596, abs=1e-5)
    assert mde(10, VAR, 400_000, 3, n_star=5000) == pytest.approx(0.12821, abs=1e-5)


# weeks 1..9 at 4500 users/week, 3 variations: (CTR 10 % lift 5 %, revenue 0.1 / var 0.5 lift 30 %)
POWER_TABLE = [
    (0.073, 0.17053), (0.0965, 0.29389), (0.1204, 0.41122), (0.14458, 0.51749),
    (0.16895, 0.61037), (0.19342, 0.68938), (0.21791, 0.75513), (0.24235, 0.80886),
    (0.26666, 0.85213),
]  # fmt: skip
MDE_TABLE = [
    (0.36767, 1.26769), (0.24505, 0.71941), (0.19525, 0.54299), (0.16673, 0.4506),
    (0.14774, 0.39208), (0.13394, 0.35099), (0.12336, 0.32018), (0.11491, 0.29603),
    (0.10796, 0.27647),
]  # fmt: skip


@pytest.mark.parametrize("week", range(1, 10))
def test_growthbook_weekly_table(week: int) -> None:
    n = 4500 * week
    ctr, revenue = POWER_TABLE[week - 1]
    assert power(0.1, binomial_variance(0.1), 0.05, n, 3) == pytest.approx(ctr, abs=1e-5)
    assert power(0.1, 0.5, 0.3, n, 3) == pytest.approx(revenue, abs=1e-5)
    mde_ctr, mde_revenue = MDE_TABLE[week - 1]
    assert mde(0.1, binomial_variance(0.1), n, 3) == pytest.approx(mde_ctr, abs=1e-5)
    assert mde(0.1, 0.5, n, 3) == pytest.approx(mde_revenue, abs=1e-5)


def test_mde_without_solution() -> None:
    assert mde(0.1, 0.5, 30, 3) is None


THIRDS = (1 / 3, 1 / 3, 1 / 3)


@pytest.mark.parametrize(
    ("kwargs", "expected", "rel"),
    [
        ({"absolute_mde": 0.3, "variance": 100}, 39_906, 0.005),
        ({"absolute_mde": 0.003, "variance": binomial_variance(0.34)}, 897_348, 0.005),
        ({"absolute_mde": 0.1, "variance": binomial_variance(0.34)}, (738 + 852) / 2, 0.015),
        (
            {"absolute_mde": 0.003, "variance": binomial_variance(0.34), "alpha": 0.14},
            630_710,
            0.005,
        ),
        (
            {"absolute_mde": 0.003, "variance": binomial_variance(0.34), "alpha": 0.14,
             "target_power": 0.67},
            366_424,
            0.005,
        ),
        (
            {"absolute_mde": 0.003, "variance": binomial_variance(0.34),
             "allocations": (0.5, 0.25, 0.25)},
            673_157 + 2 * 336_578,
            0.005,
        ),
        (
            {"absolute_mde": 0.003, "variance": binomial_variance(0.34), "allocations": THIRDS,
             "comparisons": "all_vs_all"},
            448_674 * 3,
            0.005,
        ),
        (
            {"absolute_mde": 0.3, "variance": 100, "allocations": (0.5, 0.25, 0.25)},
            29_929 + 2 * 14_965,
            0.005,
        ),
        (
            {"absolute_mde": 0.3, "variance": 100, "allocations": THIRDS,
             "comparisons": "all_vs_all"},
            19_953 * 3,
            0.005,
        ),
    ],
)  # fmt: skip
def test_spotify_gpower(kwargs: dict[str, object], expected: float, rel: float) -> None:
    assert sample_size_total(**kwargs) == pytest.approx(expected, rel=rel)  # type: ignore[arg-type]


def test_n_per_arm_textbook() -> None:
    # (1.96 + 0.8416)² · 2 / 0.2² ≈ 392.4 per arm for a 0.2-SD effect at 80 % power.
    assert n_per_arm(0.2, 1.0, 1.0) == pytest.approx(392.4, abs=0.1)
    assert math.isclose(
        n_per_arm(0.1, 0.21, 0.24), (1.959964 + 0.841621) ** 2 * 0.45 / 0.01, rel_tol=1e-5
    )
