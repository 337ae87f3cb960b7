"""Always-valid inference vs reference §2.3 worked example, §3.2 oracles, and §5 simulations."""

from __future__ import annotations

import math
import random

import pytest

from parley.experiments.stats.frequentist import fixed_test
from parley.experiments.stats.moments import ProportionStats, SampleStats, effect
from parley.experiments.stats.sequential import (
    half_width,
    mixing_variance,
    rho_squared,
    running_min,
    sequential_one_sided_bounds,
    sequential_one_sided_p_value,
    sequential_test,
)

A_3000 = SampleStats(3000, 1396.87, 52377.9767)
B = SampleStats(3461, 2422.7, 134698.29)
TOL = 1e-5


def test_growthbook_sequential_relative_means() -> None:
    r = sequential_test(A_3000, B, relative=True, n_star=1000)
    assert (r.estimate, r.std_error) == pytest.approx((0.50336, 0.33341), abs=TOL)
    assert (r.lower, r.upper, r.p_value) == pytest.approx((-0.55844, 1.56516, 1.0), abs=TOL)


def test_growthbook_sequential_relative_proportions() -> None:
    r = sequential_test(
        ProportionStats(3000, 1396), ProportionStats(3461, 2422), relative=True, n_star=5000
    )
    assert (r.estimate, r.std_error) == pytest.approx((0.50386, 0.03386), abs=TOL)
    assert (r.lower, r.upper) == pytest.approx((0.40098, 0.60675), abs=TOL)
    assert r.p_value == pytest.approx(5.2e-44, rel=0.01)


@pytest.mark.parametrize(
    ("n_star", "lower", "upper", "p"),
    [(2000, -0.00370, 0.12370, 0.07928), (1000, -0.00425, 0.12425, 0.08785)],
)
def test_worked_example(n_star: int, lower: float, upper: float, p: float) -> None:
    r = sequential_test(ProportionStats(1000, 300), ProportionStats(1000, 360), n_star=n_star)
    assert (r.estimate, r.std_error) == pytest.approx((0.06, 0.020986), abs=1e-6)
    assert (r.lower, r.upper, r.p_value) == pytest.approx((lower, upper, p), abs=TOL)
    if n_star == 2000:
        assert r.e_value == pytest.approx(12.6134, abs=1e-4)


def test_one_sided_guardrail_bounds() -> None:
    lower, upper = sequential_one_sided_bounds(A_3000, B, relative=True, n_star=5000)
    assert (lower, upper) == pytest.approx((-0.423565, 1.430287), abs=1e-6)
    lower, upper = sequential_one_sided_bounds(A_3000, B, n_star=5000)
    assert (lower, upper) == pytest.approx((-0.126568, 0.595322), abs=1e-6)


@pytest.mark.parametrize(
    ("relative", "alternative", "expected"),
    [(False, "greater", 0.463165), (True, "greater", 0.4999), (False, "less", 0.4999),
     (True, "less", 0.4999)],
)  # fmt: skip
def test_growthbook_one_sided_sequential_p(
    relative: bool, alternative: str, expected: float
) -> None:
    # growthbook test_tests.py SequentialOneSidedTreatment{Greater,Lesser}, N* = 5000 (§3.2).
    p = sequential_one_sided_p_value(
        A_3000, B, alternative=alternative, n_star=5000, relative=relative, method="growthbook"
    )  # type: ignore[arg-type]
    assert p == pytest.approx(expected, abs=1e-6)


def test_one_sided_p_exact_root() -> None:
    # The exact root differs from GrowthBook's bisection by ~1e-4 (it stops once the bound is
    # within 1e-6 of 0, and the bound is flat in the level near 0.5): 0.463047 vs 0.463165.
    p = sequential_one_sided_p_value(A_3000, B, alternative="greater", n_star=5000)
    assert p == pytest.approx(0.463165, abs=2e-4)
    assert p == pytest.approx(0.4630474, abs=1e-7)
    # At that level the one-sided bound (rho kept at the configured alpha) touches 0.
    eff = effect(A_3000, B)
    nr2 = 6461 * rho_squared(0.1, 5000)
    radius = eff.std_error * math.sqrt(
        (nr2 + 1) / nr2 * 2 * math.log(1 + math.sqrt(nr2 + 1) / (2 * p))
    )
    assert eff.estimate - radius == pytest.approx(0.0, abs=1e-12)


def test_one_sided_p_small_and_mirrored() -> None:
    a, b = ProportionStats(2000, 600), ProportionStats(2000, 700)
    strong = sequential_one_sided_p_value(a, b, alternative="greater")
    assert strong < 0.05
    assert sequential_one_sided_p_value(b, a, alternative="less") == pytest.approx(strong)
    assert sequential_one_sided_p_value(a, b, alternative="less") == 0.4999
    huge = ProportionStats(20_000, 9000), ProportionStats(20_000, 12_000)
    assert sequential_one_sided_p_value(*huge, alternative="greater") == 1e-5
    # Rejecting at p <= alpha is the same decision as the one-sided bound excluding 0.
    lower, _ = sequential_one_sided_bounds(a, b)
    assert (lower > 0) == (strong <= 0.05)


def test_tuning_is_narrowest_at_n_star() -> None:
    # growthbook test_tests.py: for N = 6461, N* = 6461 beats N* = 10 and 10 000.
    a = SampleStats(3000, 1396.87, 52377.9767)
    widths = {ns: sequential_test(a, B, n_star=ns).upper for ns in (10, 6461, 10_000)}
    assert widths[6461] < widths[10]
    assert widths[6461] < widths[10_000]


@pytest.mark.parametrize(
    ("n", "ratio"),
    [(50, 2.41), (100, 1.97), (200, 1.72), (500, 1.57), (1000, 1.55), (2000, 1.56), (5000, 1.61)],
)
def test_price_of_always_valid(n: int, ratio: float) -> None:
    # §2.3: CS half-width / fixed 95 % half-width at alpha 0.05, N* = 1000 (SE cancels).
    tau2 = mixing_variance(1.0, n, 0.05, 1000)
    assert half_width(1.0, tau2, 0.05) / 1.959964 == pytest.approx(ratio, abs=0.005)


@pytest.mark.parametrize("n", [100, 1000, 6461, 50_000])
def test_eppo_form_is_the_same(n: int) -> None:
    alpha, n_tune = 0.05, 10_000
    r = n_tune / (math.log(math.log(math.e / alpha**2)) - 2 * math.log(alpha))
    eppo = math.sqrt((n + r) * math.log((n + r) / (r * alpha**2))) / math.sqrt(n)
    assert 1 / rho_squared(alpha, n_tune) == pytest.approx(r, rel=1e-14)
    ours = half_width(1.0, mixing_variance(1.0, n, alpha, n_tune), alpha)
    assert ours == pytest.approx(eppo, rel=1e-12)


def test_cs_contains_fixed_ci_and_p_is_larger() -> None:
    a, b = ProportionStats(400, 120), ProportionStats(420, 150)
    seq, fixed = sequential_test(a, b), fixed_test(a, b, distribution="normal")
    assert seq.lower < fixed.lower
    assert seq.upper > fixed.upper
    assert seq.p_value > fixed.p_value


def test_running_min() -> None:
    assert running_min(None, 0.3) == 0.3
    assert running_min(0.2, 0.3) == 0.2


def _simulate(
    *, runs: int, n_max: int, p_a: float, p_b: float, share_b: float, seed: int
) -> tuple[float, float]:
    """Binary peeking simulation (§5.1/§5.2): fractions of runs in which the sequential CS, and
    the naive fixed 95 % CI, ever excluded the true effect."""
    rng = random.Random(seed)
    true = p_b - p_a
    seq_miss = naive_miss = 0
    for _ in range(runs):
        n = [0, 0]
        s = [0, 0]
        seq_hit = naive_hit = False
        for i in range(1, n_max + 1):
            arm = 1 if rng.random() < share_b else 0
            n[arm] += 1
            s[arm] += rng.random() < (p_b if arm else p_a)
            # §4.8 gate: ≥ 30 per arm and ≥ 5 events each way, peek every 10 conversations.
            if i % 10 or min(n) < 30 or min(min(s), min(n[0] - s[0], n[1] - s[1])) < 5:
                continue
            a, b = ProportionStats(n[0], s[0]), ProportionStats(n[1], s[1])
            r = sequential_test(a, b, n_star=1000)
            seq_hit = seq_hit or not r.lower <= true <= r.upper
            eff = effect(a, b)
            naive_hit = naive_hit or abs(eff.estimate - true) > 1.959964 * eff.std_error
        seq_miss += seq_hit
        naive_miss += naive_hit
    return seq_miss / runs, naive_miss / runs


def test_type_one_error_under_continuous_peeking() -> None:
    # A/A, p = 0.3. Pilot (R = 10 000): sequential 2.2 %, naive 36 %. Bound: alpha + 3 SE(R).
    runs = 300
    bound = 0.05 + 3 * math.sqrt(0.05 * 0.95 / runs)
    seq, naive = _simulate(runs=runs, n_max=1000, p_a=0.3, p_b=0.3, share_b=0.5, seed=7)
    assert seq <= bound
    assert naive > 0.15  # proves the harness detects peeking


def test_coverage_with_effect_and_unequal_split() -> None:
    # §5.2: the CS must cover the true non-null effect at every look, also with a 70/30 split.
    runs = 200
    bound = 0.05 + 3 * math.sqrt(0.05 * 0.95 / runs)
    seq, _ = _simulate(runs=runs, n_max=800, p_a=0.3, p_b=0.4, share_b=0.3, seed=11)
    assert seq <= bound


def test_type_one_error_numeric_lognormal() -> None:
    # §5.1 lognormal durations (mu = 5, sigma = 0.8), A/A, peek every 10 after 30/arm.
    rng = random.Random(3)
    runs, hits = 150, 0
    for _ in range(runs):
        n, s, q = [0, 0], [0.0, 0.0], [0.0, 0.0]
        hit = False
        for i in range(1, 601):
            arm = i % 2
            y = rng.lognormvariate(5.0, 0.8)
            n[arm] += 1
            s[arm] += y
            q[arm] += y * y
            if i % 10 == 0 and min(n) >= 30:
                r = sequential_test(SampleStats(n[0], s[0], q[0]), SampleStats(n[1], s[1], q[1]))
                hit = hit or r.p_value <= 0.05
        hits += hit
    assert hits / runs <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / runs)
