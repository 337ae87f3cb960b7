# ruff: noqa: RUF002, RUF003 -- Greek letters and × are the reference's math notation.
"""One-metric analysis facade: what the results page shows for each arm (reference §4.7-§4.13).

Given per-arm sufficient statistics for one binary or numeric metric (arm 0 = control):
- per-arm estimates (n, mean, sd);
- for each treatment, the always-valid verdict vs control (§2.3): absolute effect with its
  confidence sequence and p-value, the relative effect with its CS, Holm-adjusted p across the
  treatments of this metric (§2.6), "significant" only when the adjusted p ≤ α;
- Bayesian decision support (§2.4): exact Beta-Bernoulli for binary, flat-prior Gaussian on the
  absolute effect for numeric;
- the minimum-data gate (§4.8): no verdict until every compared arm has ≥ 30 matured units for a
  binary metric (also ≥ 5 successes and ≥ 5 failures) and ≥ 100 for a numeric one (skewed
  numeric metrics at unbalanced splits need it: docs/experiment-studies.md §1); until then the
  sequential fields are None;
- log-scale numeric metrics (`log_scale=True`, the stats hold ln y): the absolute effect is the
  difference of mean logs, the relative one the ratio of geometric means minus 1, exp of the
  same confidence sequence (so it covers exactly when the absolute one does);
- the relative interval of a linear metric is flagged *indicative* while the control mean's
  standard error exceeds 10 % of the mean (a rare binary rate: fewer than ≈ 100·(1-p) control
  successes): the delta method under-covers there (docs/experiment-studies.md §2). The verdict
  is always the absolute test;
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

MIN_UNITS_BINARY = 30
MIN_UNITS_NUMERIC = 100
MIN_UNITS_PER_ARM = MIN_UNITS_BINARY  # the §4.8 figure; numeric metrics default to 100
MIN_EVENTS_PER_ARM = 5
RELATIVE_MAX_CV = 0.10  # relative CS indicative while SE(control mean) > 10 % of the mean

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
    relative_indicative: bool = False  # the relative CS is shown, but not to be relied on


@dataclass(frozen=True, slots=True)
class MetricAnalysis:
    kind: Literal["binary", "numeric"]
    arms: list[ArmEstimate]
    comparisons: list[Comparison]
    srm: SrmResult | None  # None when no weights were given


def default_min_units(kind: Literal["binary", "numeric"]) -> int:
    """Minimum matured units per arm before a verdict: 30 binary, 100 numeric (studies §1)."""
    return MIN_UNITS_BINARY if kind == "binary" else MIN_UNITS_NUMERIC


def relative_is_indicative(control: ArmStats) -> bool:
    """True while SE(control mean) > RELATIVE_MAX_CV · |control mean|: the delta-method
    relative interval divides by a noisy control mean and under-covers (rare binary rates)."""
    if control.n < 1 or control.mean == 0.0:
        return True
    return math.sqrt(control.variance / control.n) > RELATIVE_MAX_CV * abs(control.mean)


def ratio_interval(log_difference: SequentialResult) -> SequentialResult:
    """Log-scale metric: the ratio of geometric means minus 1, from the CS of mean-log difference.

    exp is monotone, so the transformed sequence covers exactly when the log one does.
    """
    est = log_difference.estimate
    return SequentialResult(
        math.expm1(est),
        math.exp(est) * log_difference.std_error,  # delta method, for display only
        math.expm1(log_difference.lower),
        math.expm1(log_difference.upper),
        log_difference.p_value,
        log_difference.e_value,
    )


def compare_arms(
    control: ArmStats,
    treatment: ArmStats,
    *,
    alpha: float = 0.05,
    n_star: float = DEFAULT_N_STAR,
    log_scale: bool = False,
) -> tuple[SequentialResult, SequentialResult | None, bool]:
    """(absolute CS, relative CS or None, relative is indicative) of treatment vs control."""
    absolute = sequential_test(control, treatment, alpha=alpha, n_star=n_star)
    if log_scale:
        return absolute, ratio_interval(absolute), False
    if control.mean == 0.0:
        return absolute, None, True
    relative = sequential_test(control, treatment, alpha=alpha, n_star=n_star, relative=True)
    return absolute, relative, relative_is_indicative(control)


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
    min_units: int | None = None,
    min_events: int = MIN_EVENTS_PER_ARM,
    log_scale: bool = False,
) -> MetricAnalysis:
    """Analyse one metric; `weights` are the expected shares (Σ weights in force per exposure)
    and `exposures` the started conversations per arm (defaults to the metric's n).

    `min_units` defaults by kind (`default_min_units`). With `log_scale` the stats hold ln y
    (numeric only); the per-arm mean is then the geometric mean and std_dev that of ln y.
    """
    if len(arms) < 2:
        raise ValueError("need a control and at least one treatment")
    binary = all(isinstance(a, ProportionStats) for a in arms)
    if not binary and any(isinstance(a, ProportionStats) for a in arms):
        raise ValueError("all arms must have the same metric kind")
    if binary and log_scale:
        raise ValueError("a binary metric has no log scale")
    gate = (
        min_units if min_units is not None else default_min_units("binary" if binary else "numeric")
    )
    estimates = [
        ArmEstimate(a.n, math.exp(a.mean) if log_scale and a.n else a.mean, math.sqrt(a.variance))
        for a in arms
    ]
    control = arms[0]
    sequential: list[tuple[SequentialResult, SequentialResult | None, bool] | None] = []
    for treatment in arms[1:]:
        gate_open = has_minimum_data(control, gate, min_events) and has_minimum_data(
            treatment, gate, min_events
        )
        if not gate_open or effect(control, treatment).std_error == 0.0:
            sequential.append(None)
            continue
        sequential.append(
            compare_arms(control, treatment, alpha=alpha, n_star=n_star, log_scale=log_scale)
        )
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
        comparisons.append(Comparison(index, verdict, seq[0], seq[1], p_adj, bayes, seq[2]))
    srm = None
    if weights is not None:
        counts = list(exposures) if exposures is not None else [a.n for a in arms]
        srm = check_srm(counts, weights, alpha=srm_alpha)
    return MetricAnalysis("binary" if binary else "numeric", estimates, comparisons, srm)
