"""Per-arm sufficient statistics and the effect estimate between two arms (reference §2.1).

Numeric metrics keep (n, Σy, Σy²); binary metrics keep (n, successes). Everything downstream is a
function of these running sums, so an analysis costs O(arms) and can be recomputed at any time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SampleStats:
    """Numeric metric: count, sum and sum of squares of the per-unit values."""

    n: int
    total: float
    total_squares: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n > 0 else 0.0

    @property
    def variance(self) -> float:
        # Unbiased sample variance (GrowthBook SampleMeanStatistic); clamp the rounding noise of
        # Q - S²/n, which can dip below zero for constant data.
        if self.n < 2:
            return 0.0
        return max(0.0, (self.total_squares - self.total**2 / self.n) / (self.n - 1))


@dataclass(frozen=True, slots=True)
class ProportionStats:
    """Binary metric: count and number of successes (Σy = Σy² = successes)."""

    n: int
    successes: int

    @property
    def mean(self) -> float:
        return self.successes / self.n if self.n > 0 else 0.0

    @property
    def variance(self) -> float:
        # p(1-p) without the n-1 correction, as GrowthBook's ProportionStatistic.
        p = self.mean
        return p * (1.0 - p)

    @property
    def failures(self) -> int:
        return self.n - self.successes


ArmStats = SampleStats | ProportionStats


def log_value(value: float) -> float | None:
    """A value on the log scale (`scale: log` metrics), None for a value ≤ 0 (or not finite).

    ln y has no value at y ≤ 0, so such outcomes are left out of the log-scale comparison
    and counted instead (the report shows how many per arm and warns when their share differs).
    """
    if not math.isfinite(value) or value <= 0.0:
        return None
    return math.log(value)


@dataclass(frozen=True, slots=True)
class Effect:
    """Treatment-minus-control estimate with its standard error and Welch degrees of freedom."""

    estimate: float
    std_error: float
    dof: float


def frequentist_variance(
    var_a: float, mean_a: float, n_a: float, var_b: float, mean_b: float, n_b: float, relative: bool
) -> float:
    """Variance of the absolute difference, or of the relative lift by the delta method (§2.1)."""
    if relative:
        return var_b / (mean_a**2 * n_b) + var_a * mean_b**2 / (mean_a**4 * n_a)
    return var_b / n_b + var_a / n_a


def welch_dof(a: ArmStats, b: ArmStats) -> float:
    """Welch-Satterthwaite df from the raw variances, even for relative effects (as GrowthBook)."""
    ua, ub = a.variance / a.n, b.variance / b.n
    denom = ua**2 / (a.n - 1) + ub**2 / (b.n - 1)
    return (ua + ub) ** 2 / denom if denom > 0 else math.inf


def effect(control: ArmStats, treatment: ArmStats, relative: bool = False) -> Effect:
    """Absolute (m_B - m_A) or relative ((m_B - m_A)/|m_A|) effect of treatment vs control."""
    if control.n < 2 or treatment.n < 2:
        raise ValueError("each arm needs at least 2 units")
    ma, mb = control.mean, treatment.mean
    if relative and ma == 0.0:
        raise ValueError("relative effect needs a non-zero control mean")
    diff = mb - ma
    estimate = diff / abs(ma) if relative else diff
    var = frequentist_variance(
        control.variance, ma, control.n, treatment.variance, mb, treatment.n, relative
    )
    return Effect(estimate, math.sqrt(var), welch_dof(control, treatment))
