# ruff: noqa: RUF002, RUF003 -- Greek letters and × are the reference's math notation.
"""Bayesian decision support: chance to beat control and expected loss (reference §2.4).

Binary metrics: Beta-Bernoulli posteriors, no Monte Carlo. P(p_B > p_A) uses Evan Miller's
closed form when a posterior has an integer shape parameter (any integer prior, e.g. the uniform
Beta(1, 1) default), summed over the smallest one (the form and its mirror images 1 - P(Y > X)
and P(1 - Y > 1 - X)); otherwise (e.g. Jeffreys ½, ½) it integrates ∫ f_A(x)(1 - I_x(α_B, β_B)) dx
by tanh-sinh quadrature. The reference checked both agree to 1e-13. Expected loss uses the
closed form via h = P(Beta > Beta) with one shape parameter shifted.

The closed form costs O(min shape parameter): at one million outcomes that is ~10⁵ terms per
call. When every shape parameter is at least `APPROXIMATION_MIN_SHAPE` (1000) the four Beta
posteriors are summarised instead by the distribution of D = p_B - p_A through its exact mean,
variance and third cumulant (first-order Edgeworth expansion, `beta_edgeworth`). The error is
O(1/min shape): over the grid of `tests/experiments/test_bayes.py` (rates 0.001-0.999, splits
1:1 and 1:9, P from 10⁻⁴ to 1 - 10⁻⁴, smallest shape 1000 and 3000) it stays below
`APPROXIMATION_BOUND` = 1e-4 for P(p_B > p_A) and below 1e-4 · sd(D) for both expected losses,
far under what a displayed percentage or the 0.25 % loss threshold can resolve.

Numeric metrics: Gaussian posterior on the effect (flat prior: mean δ̂, sd SE; or a proper normal
prior), with CTW = Φ(μ/σ) and truncated-normal risks (GrowthBook `get_risk`).
This is decision support, not the verdict: none of these quantities control error under peeking.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from parley.experiments.stats._special import (
    betainc,
    betaln,
    digamma,
    norm_cdf,
    norm_pdf,
    norm_ppf,
    trigamma,
)
from parley.experiments.stats.moments import ProportionStats


@dataclass(frozen=True, slots=True)
class BayesResult:
    chance_to_beat_control: float  # P(treatment > control)
    risk_treatment: float  # expected loss of shipping treatment: E[max(control - treatment, 0)]
    risk_control: float  # expected loss of keeping control: E[max(treatment - control, 0)]


def _closed_form(a: float, b: float, c: float, d: float) -> float:
    # P(Beta(a, b) > Beta(c, d)) = Σ_{i<a} B(c+i, b+d) / ((b+i) B(1+i, b) B(c, d)); a integer.
    log_cd = betaln(c, d)
    total = 0.0
    for i in range(round(a)):
        total += math.exp(betaln(c + i, b + d) - math.log(b + i) - betaln(1 + i, b) - log_cd)
    return total


def _tanh_sinh(lo: float, hi: float, a: float, b: float, c: float, d: float) -> float:
    # ∫_lo^hi f_{Beta(c,d)}(y) · (1 - I_y(a, b)) dy; tanh-sinh copes with endpoint singularities
    # of Beta densities with shape < 1 (Jeffreys prior, zero successes).
    half, step = 0.5 * (hi - lo), 1.0 / 64.0
    log_norm = betaln(c, d)
    total = 0.0
    for k in range(-256, 257):
        t = k * step
        u = 0.5 * math.pi * math.sinh(t)
        # Distances to both ends computed directly: x = lo + half(1 + tanh u) loses the mass of
        # a singular endpoint (x^-1/2) once 1 - tanh u underflows against 1.
        from_lo = 2.0 * half / (math.exp(-2.0 * u) + 1.0)
        from_hi = 2.0 * half / (math.exp(2.0 * u) + 1.0)
        x, one_minus_x = lo + from_lo, (1.0 - hi) + from_hi
        if x <= 0.0 or one_minus_x <= 0.0:
            continue
        weight = half * 0.5 * math.pi * math.cosh(t) / math.cosh(u) ** 2
        log_f = (c - 1.0) * math.log(x) + (d - 1.0) * math.log(one_minus_x) - log_norm
        total += weight * math.exp(log_f) * (1.0 - betainc(a, b, x))
    return total * step


def _quadrature(a: float, b: float, c: float, d: float) -> float:
    # Split [0, 1] around the bulk of Beta(c, d) so the sharp peak at large n gets enough nodes.
    mean = c / (c + d)
    sd = math.sqrt(c * d / ((c + d) ** 2 * (c + d + 1.0)))
    cuts = sorted({0.0, max(0.0, mean - 12 * sd), min(1.0, mean + 12 * sd), 1.0})
    return sum(_tanh_sinh(lo, hi, a, b, c, d) for lo, hi in pairwise(cuts))


CLOSED_FORM_MAX_TERMS = 1_000_000


def prob_beta_greater(a: float, b: float, c: float, d: float) -> float:
    """P(X > Y) for independent X ~ Beta(a, b), Y ~ Beta(c, d), exact.

    The closed form sums over its first parameter; with 1 - X ~ Beta(b, a) the same probability
    is 1 - P(Y > X) (sum over c), P(1 - Y > 1 - X) (over d) or 1 - P(1 - X > 1 - Y) (over b), so
    the sum runs over the smallest integer shape parameter.
    """
    # (the shape summed over, its form): 0 = (a, b, c, d), 1 = 1 - (c, d, a, b), ...
    forms = [(a, 0), (c, 1), (d, 2), (b, 3)]
    usable = [(k, f) for k, f in forms if float(k).is_integer() and k <= CLOSED_FORM_MAX_TERMS]
    if usable:
        form = min(usable)[1]
        if form == 0:
            return _closed_form(a, b, c, d)
        if form == 1:
            return 1.0 - _closed_form(c, d, a, b)
        if form == 2:
            return _closed_form(d, c, b, a)
        return 1.0 - _closed_form(b, a, d, c)
    return _quadrature(a, b, c, d)


def _posteriors(
    control: ProportionStats,
    treatment: ProportionStats,
    prior: tuple[float, float],
    prior_treatment: tuple[float, float] | None,
) -> tuple[float, float, float, float]:
    # Per-arm priors (GrowthBook's old engine: prior_a, prior_b); the treatment reuses the
    # control's prior unless given its own. A Beta(0, 0) prior is allowed as long as the
    # posterior is proper (each arm has at least one success and one failure).
    pt = prior if prior_treatment is None else prior_treatment
    aa, ba = prior[0] + control.successes, prior[1] + control.failures
    ab, bb = pt[0] + treatment.successes, pt[1] + treatment.failures
    if min(aa, ba, ab, bb) <= 0.0:
        raise ValueError("improper posterior: a Beta parameter is not positive")
    return aa, ba, ab, bb


APPROXIMATION_MIN_SHAPE = 1000.0  # every Beta shape parameter at least this: Edgeworth
APPROXIMATION_BOUND = 1e-4  # tested error of P (absolute) and of the losses (in units of sd(D))


def _beta_cumulants(a: float, b: float) -> tuple[float, float, float]:
    """Mean, variance and third cumulant of Beta(a, b)."""
    s = a + b
    return (
        a / s,
        a * b / (s * s * (s + 1.0)),
        2.0 * a * b * (b - a) / (s**3 * (s + 1.0) * (s + 2.0)),
    )


def beta_edgeworth(aa: float, ba: float, ab: float, bb: float) -> BayesResult:
    """P(p_B > p_A) and expected losses from the first-order Edgeworth expansion of D = p_B - p_A.

    With μ, σ², κ₃ the exact cumulants of D (sums of the Beta cumulants, κ₃ = κ₃B - κ₃A),
    z = μ/σ and skewness γ = κ₃/σ³, the density of (D - μ)/σ is φ(x)(1 + γ He₃(x)/6), so
    P(D > 0) = Φ(z) + γ/6 (z² - 1) φ(z) and E[max(-D, 0)] = σ (φ(z) - z Φ(-z) - γ/6 z φ(z));
    E[max(D, 0)] = E[max(-D, 0)] + μ. Without the γ terms this is the Gaussian approximation;
    the correction takes the error from O(1/sqrt(n)) to O(1/n) (see the module docstring).
    """
    mean_a, var_a, k3_a = _beta_cumulants(aa, ba)
    mean_b, var_b, k3_b = _beta_cumulants(ab, bb)
    mu, sd = mean_b - mean_a, math.sqrt(var_a + var_b)
    z, gamma = mu / sd, (k3_b - k3_a) / (var_a + var_b) ** 1.5
    density = norm_pdf(z)
    ctw = norm_cdf(z) + gamma / 6.0 * (z * z - 1.0) * density
    loss_b = sd * (density - z * norm_cdf(-z) - gamma / 6.0 * z * density)
    return BayesResult(min(1.0, max(0.0, ctw)), max(0.0, loss_b), max(0.0, loss_b + mu))


def beta_bernoulli(
    control: ProportionStats,
    treatment: ProportionStats,
    prior: tuple[float, float] = (1.0, 1.0),
    *,
    prior_treatment: tuple[float, float] | None = None,
    method: Literal["auto", "exact", "edgeworth"] = "auto",
) -> BayesResult:
    """Chance to beat control and both expected losses under Beta(prior) posteriors.

    `prior` is the control's prior and, unless `prior_treatment` is given, the treatment's too.
    `method="auto"` is exact unless every posterior shape parameter is at least
    `APPROXIMATION_MIN_SHAPE`, where the Edgeworth form is within `APPROXIMATION_BOUND`.
    """
    aa, ba, ab, bb = _posteriors(control, treatment, prior, prior_treatment)
    if method == "edgeworth" or (
        method == "auto" and min(aa, ba, ab, bb) >= APPROXIMATION_MIN_SHAPE
    ):
        return beta_edgeworth(aa, ba, ab, bb)
    if aa / (aa + ba) + ab / (ab + bb) > 1.0:
        # Rates near 1: each loss is a difference of two terms ≈ the mean times P, so compute it
        # for 1 - p (Beta(β, α), small means) where the difference keeps its digits; there the
        # loss of shipping B is the loss of keeping the mirrored control and vice versa.
        loss_a, loss_b = _losses(ba, aa, bb, ab)
    else:
        loss_b, loss_a = _losses(aa, ba, ab, bb)
    ctw = prob_beta_greater(ab, bb, aa, ba)
    return BayesResult(ctw, max(0.0, loss_b), max(0.0, loss_a))


def _losses(aa: float, ba: float, ab: float, bb: float) -> tuple[float, float]:
    """(E[max(p_A - p_B, 0)], E[max(p_B - p_A, 0)]), exact."""
    mean_a, mean_b = aa / (aa + ba), ab / (ab + bb)
    # E[p_A·1{p_A > p_B}] = E[p_A]·P(Beta(α_A+1, β_A) > p_B): size-biasing shifts α by one.
    loss_b = mean_a * prob_beta_greater(aa + 1, ba, ab, bb) - mean_b * prob_beta_greater(
        aa, ba, ab + 1, bb
    )
    loss_a = mean_b * prob_beta_greater(ab + 1, bb, aa, ba) - mean_a * prob_beta_greater(
        ab, bb, aa + 1, ba
    )
    return loss_b, loss_a


@dataclass(frozen=True, slots=True)
class LogNormalApproximation:
    """GrowthBook's pre-2024 Beta-Binomial summary on the log scale of p_B/p_A."""

    chance_to_win: float  # Φ(m/s): P(log p_B - log p_A > 0) under the normal approximation
    expected: float  # exp(m) - 1, the relative lift at the approximate posterior mean
    lower: float  # exp(m ± z s) - 1, equal-tailed credible interval of the relative lift
    upper: float


def beta_lognormal_approximation(
    control: ProportionStats,
    treatment: ProportionStats,
    prior: tuple[float, float] = (1.0, 1.0),
    *,
    prior_treatment: tuple[float, float] | None = None,
    credible_mass: float = 0.95,
) -> LogNormalApproximation:
    """Approximate chance to win of GrowthBook's old engine (reference §3.4, growthbook @ 1da984c).

    log p under Beta(α, β) has mean ψ(α) - ψ(α+β) and variance ψ'(α) - ψ'(α+β); the difference
    of the two arms is treated as normal with mean m and variance s² (sum of the variances).
    Kept to reproduce published numbers: the exact `beta_bernoulli` value is what Parley shows
    (49/100 vs 51/100: approximation 0.61052, exact 0.61077).
    """
    aa, ba, ab, bb = _posteriors(control, treatment, prior, prior_treatment)
    mean = (digamma(ab) - digamma(ab + bb)) - (digamma(aa) - digamma(aa + ba))
    sd = math.sqrt(trigamma(aa) - trigamma(aa + ba) + trigamma(ab) - trigamma(ab + bb))
    z = norm_ppf(0.5 + credible_mass / 2.0)
    return LogNormalApproximation(
        norm_cdf(mean / sd),
        math.exp(mean) - 1.0,
        math.exp(mean - z * sd) - 1.0,
        math.exp(mean + z * sd) - 1.0,
    )


def gaussian_posterior(
    estimate: float,
    std_error: float,
    prior_mean: float = 0.0,
    prior_variance: float | None = None,
) -> tuple[float, float]:
    """Posterior (mean, sd) of the effect; `prior_variance=None` is the flat (improper) prior."""
    if prior_variance is None:
        return estimate, std_error
    precision = 1.0 / std_error**2 + 1.0 / prior_variance
    mean = (estimate / std_error**2 + prior_mean / prior_variance) / precision
    return mean, math.sqrt(1.0 / precision)


def gaussian_risk(mean: float, sd: float) -> tuple[float, float]:
    """(risk of keeping control E[max(δ,0)], risk of shipping treatment E[max(-δ,0)])."""
    z = mean / sd
    return sd * norm_pdf(z) + mean * norm_cdf(z), sd * norm_pdf(z) - mean * norm_cdf(-z)


def gaussian_decision(mean: float, sd: float) -> BayesResult:
    """CTW = Φ(μ/σ) and truncated-normal expected losses of the Gaussian effect posterior."""
    risk_control, risk_treatment = gaussian_risk(mean, sd)
    return BayesResult(norm_cdf(mean / sd), risk_treatment, risk_control)
