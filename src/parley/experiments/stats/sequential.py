# ruff: noqa: RUF002, RUF003 -- Greek letters and × are the reference's math notation.
"""Always-valid inference: normal-mixture mSPRT / asymptotic confidence sequence (reference §2.3).

Allocation-free form: with the observed standard error SE of the effect estimate (absolute or
relative), the mixture likelihood ratio against H0: δ = 0 under a N(0, τ²) prior on δ is

    Λ = sqrt(SE²/(SE² + τ²)) · exp(τ² δ̂² / (2 SE² (SE² + τ²)))

and {θ : Λ(θ) < 1/α} is the confidence sequence. τ follows the reference's recommendation
(GrowthBook/Eppo, §2.3 and §4.7): τ² = ρ²·N·SE², N = n_A + n_B, with
ρ² = (-2 ln α + ln(1 - 2 ln α)) / N*, which makes the sequence narrowest at the planned total N*.
Under H0 Λ is a non-negative martingale with mean 1, so by Ville's inequality the test may be
read after every conversation. The guarantee is asymptotic (plug-in variance): callers gate on a
minimum sample (§4.8, see `analysis`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from parley.experiments.stats.moments import ArmStats, effect

DEFAULT_N_STAR = 1000  # §4.7: expected total per comparison, frozen at experiment start


@dataclass(frozen=True, slots=True)
class SequentialResult:
    estimate: float
    std_error: float
    lower: float
    upper: float
    p_value: float  # always-valid p = min(1, 1/Λ) from the current data (GrowthBook)
    e_value: float  # Λ, the mixture likelihood ratio


def rho_squared(alpha: float, n_star: float) -> float:
    """Mixing scale ρ² tuned so the two-sided CS is narrowest at N = n_star (GrowthBook)."""
    if not 0.0 < alpha < 1.0 or n_star <= 0:
        raise ValueError("need 0 < alpha < 1 and n_star > 0")
    log_a = math.log(alpha)
    return (-2.0 * log_a + math.log(1.0 - 2.0 * log_a)) / n_star


def mixing_variance(std_error: float, n_total: int, alpha: float, n_star: float) -> float:
    """τ², the prior variance of the effect in the allocation-free mSPRT: ρ²·N·SE²."""
    return rho_squared(alpha, n_star) * n_total * std_error**2


def e_value(estimate: float, std_error: float, tau2: float) -> float:
    """Mixture likelihood ratio Λ of H1 (δ ~ N(0, τ²)) against H0: δ = 0."""
    se2 = std_error**2
    log_lr = 0.5 * math.log(se2 / (se2 + tau2)) + tau2 * estimate**2 / (2.0 * se2 * (se2 + tau2))
    # Cap to avoid overflow; p-values below 1e-300 are all "0" for any decision.
    return math.exp(min(log_lr, 690.0))


def half_width(std_error: float, tau2: float, alpha: float) -> float:
    """Two-sided confidence-sequence radius: sqrt(SE²(SE²+τ²)/τ² · ln((SE²+τ²)/(SE² α²)))."""
    se2 = std_error**2
    return math.sqrt(se2 * (se2 + tau2) / tau2 * math.log((se2 + tau2) / (se2 * alpha**2)))


def one_sided_half_width(std_error: float, n_total: int, alpha: float, n_star: float) -> float:
    """One-sided radius (guardrails): ρ tuned with 2α, ln(1 + sqrt(Nρ²+1)/(2α)) (GrowthBook)."""
    nr2 = n_total * rho_squared(2.0 * alpha, n_star)
    return std_error * math.sqrt(
        (nr2 + 1.0) / nr2 * 2.0 * math.log(1.0 + math.sqrt(nr2 + 1.0) / (2.0 * alpha))
    )


def sequential_test(
    control: ArmStats,
    treatment: ArmStats,
    *,
    alpha: float = 0.05,
    n_star: float = DEFAULT_N_STAR,
    relative: bool = False,
) -> SequentialResult:
    """Always-valid two-sided test and confidence sequence of treatment vs control."""
    eff = effect(control, treatment, relative)
    if eff.std_error == 0.0:
        raise ValueError("zero standard error: both arms are constant")
    n_total = control.n + treatment.n
    tau2 = mixing_variance(eff.std_error, n_total, alpha, n_star)
    lam = e_value(eff.estimate, eff.std_error, tau2)
    hw = half_width(eff.std_error, tau2, alpha)
    return SequentialResult(
        eff.estimate, eff.std_error, eff.estimate - hw, eff.estimate + hw, min(1.0, 1.0 / lam), lam
    )


def sequential_one_sided_bounds(
    control: ArmStats,
    treatment: ArmStats,
    *,
    alpha: float = 0.05,
    n_star: float = DEFAULT_N_STAR,
    relative: bool = False,
) -> tuple[float, float]:
    """(lower bound for "treatment greater", upper bound for "treatment lesser") guardrail CSs."""
    eff = effect(control, treatment, relative)
    hw = one_sided_half_width(eff.std_error, control.n + treatment.n, alpha, n_star)
    return eff.estimate - hw, eff.estimate + hw


ONE_SIDED_P_RANGE = (1e-5, 0.4999)  # GrowthBook's bisection range; α ≥ 0.5 is not defined


def _one_sided_radius(std_error: float, nr2: float, level: float) -> float:
    return std_error * math.sqrt(
        (nr2 + 1.0) / nr2 * 2.0 * math.log(1.0 + math.sqrt(nr2 + 1.0) / (2.0 * level))
    )


def _growthbook_bisection(signed: float, std_error: float, nr2: float) -> float:
    # GrowthBook's loop verbatim in effect: stop once the bound is within 1e-6 of 0 and return
    # the midpoint *after* the last update. The bound is flat in α' near 0.5, so this lands up
    # to ~1e-4 from the exact root (the §3.2 oracle 0.463165 vs the root 0.463047).
    low, high = ONE_SIDED_P_RANGE
    level = 0.5 * (low + high)
    for _ in range(100):
        diff = signed - _one_sided_radius(std_error, nr2, level)
        if diff < 0.0:
            low = level
        else:
            high = level
        level = 0.5 * (low + high)
        if abs(diff) < 1e-6:
            break
    return level


def sequential_one_sided_p_value(
    control: ArmStats,
    treatment: ArmStats,
    *,
    alternative: Literal["greater", "less"],
    alpha: float = 0.05,
    n_star: float = DEFAULT_N_STAR,
    relative: bool = False,
    method: Literal["exact", "growthbook"] = "exact",
) -> float:
    """Always-valid one-sided p-value: the level at which the one-sided bound touches 0.

    GrowthBook (`SequentialOneSidedTreatment{Greater,Lesser}TTest`) keeps ρ tuned for the
    configured `alpha` and bisects on the level α' of the bound est ∓ hw(α') with
    hw(α') = SE·sqrt((Nρ²+1)/(Nρ²) · 2 ln(1 + sqrt(Nρ²+1)/(2α'))). Solving hw(α') = |est|
    gives the root in closed form (`method="exact"`, the default):
    α' = sqrt(Nρ²+1) / (2 (exp(X) - 1)), X = est² Nρ² / (2 SE² (Nρ²+1)).
    `method="growthbook"` reproduces GrowthBook's bisection and its published numbers.
    Both are clamped to GrowthBook's search range [1e-5, 0.4999]; an estimate on the wrong side
    of 0 gives the cap. Reading it at every look is valid (reject when p ≤ α) because the bound
    is a one-sided confidence sequence, but only at the configured `alpha`: ρ is tuned for it.
    """
    eff = effect(control, treatment, relative)
    if eff.std_error == 0.0:
        raise ValueError("zero standard error: both arms are constant")
    low, high = ONE_SIDED_P_RANGE
    signed = eff.estimate if alternative == "greater" else -eff.estimate
    nr2 = (control.n + treatment.n) * rho_squared(2.0 * alpha, n_star)
    if signed - _one_sided_radius(eff.std_error, nr2, low) > 0.0:
        return low
    if signed - _one_sided_radius(eff.std_error, nr2, high) < 0.0:
        return high
    if method == "growthbook":
        return _growthbook_bisection(signed, eff.std_error, nr2)
    x = signed**2 * nr2 / (2.0 * eff.std_error**2 * (nr2 + 1.0))
    return min(high, max(low, math.sqrt(nr2 + 1.0) / (2.0 * math.expm1(x))))


def running_min(previous_p: float | None, current_p: float) -> float:
    """Optimizely-style monotone p-value: min over looks (valid, and friendlier in a UI)."""
    return current_p if previous_p is None else min(previous_p, current_p)
