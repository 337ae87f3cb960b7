# ruff: noqa: RUF002, RUF003 -- Greek letters and × are the reference's math notation.
"""Sample-ratio mismatch: Pearson χ² and the sequential Dirichlet-multinomial test (reference §2.5).

The χ² p-value (alert at p < 0.001, ≥ 8 units per arm) is shown for parity with GrowthBook, Eppo
and Statsig, but it is not valid under repeated checking (§5.5: 14× its level when checked every
10 conversations). The alarm (§4.13) comes from Lindon & Malek's Dirichlet-multinomial Bayes
factor, BF = [B(a + O)/B(a)] / Π π_k^{O_k}, which is an e-process under H0: alarming when
BF ≥ 1/α keeps the false-alarm rate ≤ α however often it is checked.
Expected shares must be the weights in force when each unit was assigned (Σ_t w_k(t)/N).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from parley.experiments.stats._special import chi2_sf

CHI2_THRESHOLD = 0.001
CHI2_MIN_PER_ARM = 8
SEQUENTIAL_ALPHA = 0.01  # §4.13: alarm at BF ≥ 100


@dataclass(frozen=True, slots=True)
class SrmResult:
    chi2_p_value: float | None  # None while some arm has fewer than CHI2_MIN_PER_ARM units
    bayes_factor: float
    p_value: float  # min(1, 1/BF); take the running minimum across checks for a monotone value
    alarm: bool  # the sequential alarm: BF ≥ 1/alpha


def _shares(weights: Sequence[float], k: int) -> list[float]:
    if len(weights) != k:
        raise ValueError("one weight per arm")
    total = sum(weights)
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    return [w / total for w in weights]


def chi2_srm(counts: Sequence[int], weights: Sequence[float]) -> float:
    """Pearson χ² goodness-of-fit p-value of the observed arm counts vs the expected shares."""
    shares = _shares(weights, len(counts))
    n = sum(counts)
    if n == 0:
        return 1.0
    # GrowthBook skips zero-weight arms in the sum but keeps K - 1 degrees of freedom.
    stat = sum((o - s * n) ** 2 / (s * n) for o, s in zip(counts, shares, strict=True) if s > 0)
    return chi2_sf(stat, len(counts) - 1)


def _log_multivariate_beta(v: Sequence[float]) -> float:
    return sum(math.lgamma(x) for x in v) - math.lgamma(sum(v))


def sequential_srm_bayes_factor(
    counts: Sequence[int], weights: Sequence[float], prior: Sequence[float] | None = None
) -> float:
    """Dirichlet-multinomial Bayes factor of "shares differ" vs "shares = weights"."""
    shares = _shares(weights, len(counts))
    a = list(prior) if prior is not None else [1.0] * len(counts)
    log_num = _log_multivariate_beta([ai + o for ai, o in zip(a, counts, strict=True)])
    log_num -= _log_multivariate_beta(a)
    log_null = 0.0
    for o, s in zip(counts, shares, strict=True):
        if o > 0:
            if s == 0:
                return math.inf  # a unit landed in an arm that should receive none
            log_null += o * math.log(s)
    return math.exp(min(log_num - log_null, 700.0))


def check_srm(
    counts: Sequence[int],
    weights: Sequence[float],
    *,
    alpha: float = SEQUENTIAL_ALPHA,
    prior: Sequence[float] | None = None,
) -> SrmResult:
    """Both SRM checks for the current exposure counts."""
    chi2 = chi2_srm(counts, weights) if min(counts) >= CHI2_MIN_PER_ARM else None
    bf = sequential_srm_bayes_factor(counts, weights, prior)
    return SrmResult(chi2, bf, min(1.0, 1.0 / bf), bf >= 1.0 / alpha)
