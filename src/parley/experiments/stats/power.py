"""Power, minimum detectable effect and sample size (reference §2.9).

Three families:
- the absolute-effect calculator Parley's planning answer uses (`absolute_power`): the verdict
  is the always-valid test of the *absolute* difference, so power is computed for that test
  (z-test of m_B - m_A with SE² = v_A/n_A + v_B/n_B; sequential: SE inflated by z_seq/z* as
  below). The simulation studies check it within ±2 pp (docs/experiment-studies.md §4);
- GrowthBook's relative-lift calculator, checked against its published oracles (§3.6):
  delta-method SE with n = users / variations, fixed or sequential (the SE inflated by
  z_seq/z*, N* the sequential tuning total), MDE from a quadratic. It is conservative for the
  absolute verdict (0.30 → 0.36 at 1000/arm: 73.9 % vs 82 % simulated), which is why
  planning no longer uses it;
- Spotify's G*Power-checked total sample size for an absolute MDE with arbitrary allocations and
  control-vs-all or all-vs-all comparisons.
Metric variance: σ² for numeric metrics, p(1-p) for binary ones (`binomial_variance`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Literal

from parley.experiments.stats._special import norm_cdf, norm_ppf
from parley.experiments.stats.moments import frequentist_variance
from parley.experiments.stats.sequential import rho_squared


def binomial_variance(rate: float) -> float:
    return rate * (1.0 - rate)


def _sequential_variance(variance: float, n: float, alpha: float, n_star: float) -> float:
    # Per-unit variance that makes the fixed-horizon z* interval as wide as the confidence
    # sequence at total n: SE_seq = SE · z_seq / z* (GrowthBook sequentialPowerSequentialVariance).
    nr2 = n * rho_squared(alpha, n_star)
    z_seq = math.sqrt(n) * math.sqrt(
        2.0 * (nr2 + 1.0) * math.log(math.sqrt(nr2 + 1.0) / alpha) / nr2 / n
    )
    se_seq = math.sqrt(variance / n) * z_seq / norm_ppf(1.0 - alpha / 2.0)
    return n * se_seq**2


def relative_std_error(
    mean: float,
    variance: float,
    lift: float,
    n_total: float,
    n_variations: int,
    *,
    alpha: float = 0.05,
    n_star: float | None = None,
) -> float:
    """SE of the relative lift with n_total users split evenly over n_variations arms."""
    n_arm = n_total / n_variations
    var = frequentist_variance(variance, mean, n_arm, variance, mean * (1.0 + lift), n_arm, True)
    if n_star is not None:
        var = _sequential_variance(var, 2.0 * n_arm, alpha, n_star)
    return math.sqrt(var)


def power(
    mean: float,
    variance: float,
    lift: float,
    n_total: float,
    n_variations: int,
    *,
    alpha: float = 0.05,
    n_star: float | None = None,
) -> float:
    """Two-sided power to detect a relative `lift` (n_star set: with the sequential test)."""
    se = relative_std_error(mean, variance, lift, n_total, n_variations, alpha=alpha, n_star=n_star)
    z_star = norm_ppf(1.0 - alpha / 2.0)
    shift = lift / se
    return 1.0 - norm_cdf(z_star - shift) + norm_cdf(-z_star - shift)


def absolute_power(
    mean: float,
    variance: float,
    lift: float,
    n_total: float,
    n_variations: int,
    *,
    treatment_variance: float | None = None,
    alpha: float = 0.05,
    n_star: float | None = None,
) -> float:
    """Two-sided power of the test of the absolute difference for a true relative `lift`.

    δ = mean · lift; per-arm n = n_total / n_variations; `treatment_variance` defaults to
    `variance` (for a rate give p_B(1 - p_B), see `binomial_variance`). With `n_star` the SE is
    that of the always-valid confidence sequence at N = 2n, read once at n (GrowthBook's
    sequential power; looking more often only adds chances to stop early).
    """
    n_arm = n_total / n_variations
    var_b = variance if treatment_variance is None else treatment_variance
    var = (variance + var_b) / n_arm
    if n_star is not None:
        var = _sequential_variance(var, 2.0 * n_arm, alpha, n_star)  # times (z_seq/z*)², as above
    delta = mean * lift
    z_star = norm_ppf(1.0 - alpha / 2.0)
    shift = abs(delta) / math.sqrt(var)
    return 1.0 - norm_cdf(z_star - shift) + norm_cdf(-z_star - shift)


def mde(
    mean: float,
    variance: float,
    n_total: float,
    n_variations: int,
    *,
    target_power: float = 0.8,
    alpha: float = 0.05,
    n_star: float | None = None,
) -> float | None:
    """Smallest relative lift detected with `target_power`; None if no positive solution exists."""
    if target_power <= alpha:
        raise ValueError("power must exceed alpha")
    n_arm = n_total / n_variations
    z = norm_ppf(1.0 - alpha / 2.0) - norm_ppf(1.0 - target_power)
    v = variance if n_star is None else _sequential_variance(variance, 2.0 * n_arm, alpha, n_star)
    if n_arm <= v * z**2 / mean**2:
        return None  # more users or fewer variations needed
    # Solve (μ_B - μ)² = z² σ²/n · (1 + μ_B²/μ²) for μ_B (the delta-method SE depends on μ_B).
    s2 = v / n_arm
    a = 1.0 - z**2 * s2 / mean**2
    b = -2.0 * mean
    c = mean**2 - z**2 * s2
    root = (-b + math.sqrt(b * b - 4.0 * a * c)) / (2.0 * a)
    return (root - mean) / mean


def sample_size_total(
    absolute_mde: float,
    variance: float,
    *,
    allocations: Sequence[float] = (0.5, 0.5),
    comparisons: Literal["control_vs_all", "all_vs_all"] = "control_vs_all",
    alpha: float = 0.05,
    target_power: float = 0.85,
) -> float:
    """Total units for an absolute MDE (Spotify / G*Power): averaged over the compared pairs."""
    k = len(allocations)
    if k < 2 or abs(sum(allocations) - 1.0) > 1e-9:
        raise ValueError("need >= 2 allocations summing to 1")
    pairs = (
        [(0, j) for j in range(1, k)]
        if comparisons == "control_vs_all"
        else combinations(range(k), 2)
    )
    terms = [math.sqrt(1.0 / allocations[i] + 1.0 / allocations[j]) for i, j in pairs]
    z = norm_ppf(1.0 - alpha / 2.0) + norm_ppf(target_power)
    return z**2 * variance * sum(terms) ** 2 / (len(terms) * absolute_mde) ** 2


def n_per_arm(
    delta: float, var_a: float, var_b: float, *, alpha: float = 0.05, target_power: float = 0.8
) -> float:
    """Fixed-horizon units per arm for an absolute effect δ (two-sided z-test)."""
    z = norm_ppf(1.0 - alpha / 2.0) + norm_ppf(target_power)
    return z**2 * (var_a + var_b) / delta**2
