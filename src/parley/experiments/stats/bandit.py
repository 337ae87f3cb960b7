"""Thompson-sampling allocation with an additive traffic floor and a burn-in (reference §2.7).

Binary reward, Beta(1, 1) posteriors built from *matured* conversations only (the caller filters
by the maturity window, §4.5). π_k = P(arm k is best) is estimated from seeded posterior draws;
weights are w_k = f + (1 - K f)·π_k, GrowthBook's additive floor, which keeps the ordering of the
posterior (clip-and-renormalise does not) and keeps every arm fed so the always-valid test and the
CLT behind it keep working (§2.3, §5.6). Until every arm has `burn_in` matured outcomes the split
is equal (§4.14). Optional top-two sampling (Russo) for best-arm identification.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from parley.experiments.stats.moments import ProportionStats

DEFAULT_FLOOR = 0.05  # §4.14: small traffic needs a bigger floor than GrowthBook's 1 %
DEFAULT_BURN_IN = 100
DEFAULT_DRAWS = 10_000


def prob_best(
    arms: Sequence[ProportionStats],
    *,
    seed: int,
    draws: int = DEFAULT_DRAWS,
    prior: tuple[float, float] = (1.0, 1.0),
) -> list[float]:
    """Monte-Carlo P(arm k has the highest rate) from independent Beta posteriors (seeded)."""
    rng = random.Random(seed)
    params = [(prior[0] + a.successes, prior[1] + a.failures) for a in arms]
    wins = [0] * len(arms)
    for _ in range(draws):
        samples = [rng.betavariate(a, b) for a, b in params]
        wins[max(range(len(samples)), key=samples.__getitem__)] += 1
    return [w / draws for w in wins]


def top_two(pi: Sequence[float], beta: float = 0.5) -> list[float]:
    """Top-two Thompson probabilities ψ_k = β π_k + (1-β) π_k Σ_{j≠k} π_j/(1-π_j) (Russo)."""
    out = []
    for k, pk in enumerate(pi):
        second = sum(pj / (1.0 - pj) for j, pj in enumerate(pi) if j != k and pj < 1.0)
        out.append(beta * pk + (1.0 - beta) * pk * second)
    total = sum(out)
    return [x / total for x in out] if total > 0 else [1.0 / len(pi)] * len(pi)


def apply_floor(probabilities: Sequence[float], floor: float) -> list[float]:
    """Additive floor: w_k = f + (1 - K f)·π_k/Σπ; every weight ≥ f and they sum to 1."""
    k = len(probabilities)
    if not 0.0 <= floor * k < 1.0:
        raise ValueError("the floor must satisfy 0 <= K*floor < 1")
    total = sum(probabilities)
    return [floor + (1.0 - k * floor) * p / total for p in probabilities]


def thompson_weights(
    arms: Sequence[ProportionStats],
    *,
    seed: int,
    floor: float = DEFAULT_FLOOR,
    burn_in: int = DEFAULT_BURN_IN,
    draws: int = DEFAULT_DRAWS,
    top_two_beta: float | None = None,
) -> list[float]:
    """Allocation weights for the next period; equal split until every arm has `burn_in` units."""
    if len(arms) < 2:
        raise ValueError("a bandit needs at least two arms")
    if min(a.n for a in arms) < burn_in:
        return [1.0 / len(arms)] * len(arms)
    pi = prob_best(arms, seed=seed, draws=draws)
    if top_two_beta is not None:
        pi = top_two(pi, top_two_beta)
    return apply_floor(pi, floor)
