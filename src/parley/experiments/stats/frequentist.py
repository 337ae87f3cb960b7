"""Fixed-horizon tests: Welch t-test for means and the z-test for proportions (reference §2.2).

Only valid at one pre-registered look (reference §4.9); the default verdict is the always-valid
test in `sequential`. Proportions use the same code with s² = p(1-p); `distribution="normal"`
gives the classical z-test, `"t"` reproduces GrowthBook (Welch df), which the §3.2 oracles use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from parley.experiments.stats._special import norm_cdf, norm_ppf, t_cdf, t_ppf
from parley.experiments.stats.moments import ArmStats, effect

Distribution = Literal["t", "normal"]
Alternative = Literal["two-sided", "greater", "less"]


@dataclass(frozen=True, slots=True)
class TestResult:
    estimate: float
    std_error: float
    lower: float
    upper: float
    p_value: float


def _cdf(x: float, dof: float, distribution: Distribution) -> float:
    return t_cdf(x, dof) if distribution == "t" else norm_cdf(x)


def _ppf(q: float, dof: float, distribution: Distribution) -> float:
    return t_ppf(q, dof) if distribution == "t" else norm_ppf(q)


def fixed_test(
    control: ArmStats,
    treatment: ArmStats,
    *,
    alpha: float = 0.05,
    relative: bool = False,
    alternative: Alternative = "two-sided",
    distribution: Distribution = "t",
) -> TestResult:
    """Welch t-test (or z-test) of treatment vs control at one fixed look.

    "greater" tests H1: treatment > control (CI [lower, ∞)); "less" tests H1: treatment <
    control (guardrail "treatment lesser", CI (-∞, upper]).
    """
    eff = effect(control, treatment, relative)
    est, se = eff.estimate, eff.std_error
    if se == 0.0:
        raise ValueError("zero standard error: both arms are constant")
    stat = est / se
    if alternative == "two-sided":
        p = 2.0 * (1.0 - _cdf(abs(stat), eff.dof, distribution))
        half = _ppf(1.0 - alpha / 2.0, eff.dof, distribution) * se
        return TestResult(est, se, est - half, est + half, p)
    half = _ppf(1.0 - alpha, eff.dof, distribution) * se
    if alternative == "greater":
        return TestResult(est, se, est - half, math.inf, 1.0 - _cdf(stat, eff.dof, distribution))
    return TestResult(est, se, -math.inf, est + half, _cdf(stat, eff.dof, distribution))
