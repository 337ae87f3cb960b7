# ruff: noqa: RUF002, RUF003 -- Greek letters and × are the reference's math notation.
"""One-metric analysis facade: what the results page shows for each arm (reference §4.7-§4.13).

Given per-arm sufficient statistics for one binary or numeric metric (arm 0 = control):
- per-arm estimates (n, mean, sd);
- for each treatment, the always-valid verdict vs control (§2.3): absolute effect with its
  confidence sequence and p-value, the relative effect with its CS, Holm-adjusted p across the
  treatments of this metric (§2.6), "significant" only when the adjusted p ≤ α;
- Bayesian decision support (§2.4): exact Beta-Bernoulli for binary, flat-prior Gaussian on the
  absolute effect for numeric;
- the minimum-data gate (§4.8): no verdict until every compared arm has ≥ 30 matured units (binary:
  also ≥ 5 successes and ≥ 5 failures); until then the sequential fields are None;
- the SRM checks on exposure counts vs the weights in force (§2.5, §4.13).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from parley.experiments.stats.bayes import (
    BayesResult,
    beta_bernoulli,
    gaussian_decision,
    gaussian_posterior,
)
from parley.experiments.stats.moments import ArmStats, ProportionStats, effect
from parley.experiments.stats.multiple import holm
from parley.experiments.stats.sequential import DEFAULT_N_STAR, SequentialResult, sequential_test
from parley.experiments.stats.srm import SEQUENTIAL_ALPHA, SrmResult, check_srm

MIN_UNITS_PER_ARM = 30
MIN_EVENTS_PER_ARM = 5

Verdict = Literal["collecting_data", "inconclusive", "better", "worse"]


@dataclass(frozen=True, slots=True)
class ArmEstimate:
    n: int
    mean: float
    std_dev: float


@dataclass(frozen=True, slots=True)
class Comparison:
    arm: int
    verdict: Verdict
    absolute: SequentialResult | None  # None while the minimum-data gate is closed
    relative: SequentialResult | None  # None also when the control mean is 0
    adjusted_p_value: float | None  # Holm over the treatments of this metric
    bayes: BayesResult | None  # None if a numeric arm has < 2 units or zero variance


@dataclass(frozen=True, slots=True)
class MetricAnalysis:
    kind: Literal["binary", "numeric"]
    arms: list[ArmEstimate]
    comparisons: list[Comparison]
    srm: SrmResult | None  # None when no weights were given


def has_minimum_data(arm: ArmStats, min_units: int, min_events: int) -> bool:
    """§4.8 gate; the binary event rule keeps the plug-in SE away from p̂ ∈ {0, 1}."""
    if arm.n < min_units:
        return False
    if isinstance(arm, ProportionStats):
        return arm.successes >= min_events and arm.failures >= min_events
    return True


def _bayes(control: ArmStats, treatment: ArmStats) -> BayesResult | None:
    if isinstance(control, ProportionStats) and isinstance(treatment, ProportionStats):
        return beta_bernoulli(control, treatment)
    if control.n < 2 or treatment.n < 2:
        return None
    eff = effect(control, treatment)
    if eff.std_error == 0.0:
        return None
    return gaussian_decision(*gaussian_posterior(eff.estimate, eff.std_error))


def analyse_metric(
    arms: Sequence[ArmStats],
    *,
    weights: Sequence[float] | None = None,
    exposures: Sequence[int] | None = None,
    alpha: float = 0.05,
    n_star: float = DEFAULT_N_STAR,
    srm_alpha: float = SEQUENTIAL_ALPHA,
    min_units: int = MIN_UNITS_PER_ARM,
    min_events: int = MIN_EVENTS_PER_ARM,
) -> MetricAnalysis:
    """Analyse one metric; `weights` are the expected shares (Σ weights in force per exposure)
    and `exposures` the started conversations per arm (defaults to the metric's n)."""
    if len(arms) < 2:
        raise ValueError("need a control and at least one treatment")
    binary = all(isinstance(a, ProportionStats) for a in arms)
    if not binary and any(isinstance(a, ProportionStats) for a in arms):
        raise ValueError("all arms must have the same metric kind")
    estimates = [ArmEstimate(a.n, a.mean, math.sqrt(a.variance)) for a in arms]
    control = arms[0]
    sequential: list[tuple[SequentialResult, SequentialResult | None] | None] = []
    for treatment in arms[1:]:
        gate_open = has_minimum_data(control, min_units, min_events) and has_minimum_data(
            treatment, min_units, min_events
        )
        if not gate_open or effect(control, treatment).std_error == 0.0:
            sequential.append(None)
            continue
        absolute = sequential_test(control, treatment, alpha=alpha, n_star=n_star)
        relative = (
            sequential_test(control, treatment, alpha=alpha, n_star=n_star, relative=True)
            if control.mean != 0.0
            else None
        )
        sequential.append((absolute, relative))
    tested = [s[0].p_value for s in sequential if s is not None]
    adjusted = iter(holm(tested))
    comparisons = []
    for index, (treatment, seq) in enumerate(zip(arms[1:], sequential, strict=True), start=1):
        bayes = _bayes(control, treatment)
        if seq is None:
            comparisons.append(Comparison(index, "collecting_data", None, None, None, bayes))
            continue
        p_adj = next(adjusted)
        verdict: Verdict = "inconclusive"
        if p_adj <= alpha:
            verdict = "better" if seq[0].estimate > 0 else "worse"
        comparisons.append(Comparison(index, verdict, seq[0], seq[1], p_adj, bayes))
    srm = None
    if weights is not None:
        counts = list(exposures) if exposures is not None else [a.n for a in arms]
        srm = check_srm(counts, weights, alpha=srm_alpha)
    return MetricAnalysis("binary" if binary else "numeric", estimates, comparisons, srm)
