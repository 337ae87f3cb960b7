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


def running_min(previous_p: float | None, current_p: float) -> float:
    """Optimizely-style monotone p-value: min over looks (valid, and friendlier in a UI)."""
    return current_p if previous_p is None else min(previous_p, current_p)
