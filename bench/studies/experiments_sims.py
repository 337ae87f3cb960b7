# ruff: noqa: RUF003 -- Greek letters and × are the reference's math notation.
"""Simulation kernels of the experiment studies (reference `experiments.md` §5).

Every kernel simulates `count` independent runs of one scenario and returns additive tallies
(counts and sums), so chunks computed in different processes merge by addition. Run `i` of a
scenario always uses the generator `random.Random(f"{scenario}:{i}")`, whatever the chunking or
the number of processes, so a study is reproducible run for run.

All inference goes through Parley's own functions (`parley.experiments.stats.*`); the kernels only
keep the running sufficient statistics (n, Σy, Σy²) incrementally, as the service does, and build
the stats objects at each look. Parley's defaults come from the same functions the service uses:
the minimum-data gate `analysis.default_min_units` (30 binary, 100 numeric) unless a scenario
sets `min_units`, the log scale through `moments.log_value` when a scenario sets `scale: "log"`
(the service's default for latency), and `analysis.compare_arms` for the intervals and the
"relative is indicative" flag the report shows.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable
from typing import Any

from parley.experiments.stats.analysis import compare_arms, default_min_units, has_minimum_data
from parley.experiments.stats.bandit import prob_best, thompson_weights
from parley.experiments.stats.frequentist import fixed_test
from parley.experiments.stats.hashing import choose_arm
from parley.experiments.stats.moments import (
    ArmStats,
    ProportionStats,
    SampleStats,
    effect,
    log_value,
)
from parley.experiments.stats.sequential import sequential_test
from parley.experiments.stats.srm import check_srm

Tally = dict[str, float]
Params = dict[str, Any]

ALPHA = 0.05
N_STAR = 1000  # §4.7 default tuning (expected total per comparison)
MIN_UNITS, MIN_EVENTS = default_min_units("binary"), 5  # §4.8 gate (binary; numeric: 100)

# --- outcome distributions ------------------------------------------------------------------
# ("binary", p) | ("lognormal", mu, sigma) | ("ratings", probs 1..5) | ("latency"[, cap ms])
# Optional multiplicative effect for numeric outcomes: params["scale_b"]; the metric is analysed
# on the log scale when params["scale"] == "log".

RATINGS_SKEWED = (0.04, 0.06, 0.10, 0.30, 0.50)  # mean 4.16: most callers happy
LATENCY_MEDIAN_MS, LATENCY_SIGMA = 900.0, 0.3
OUTLIER_P, OUTLIER_MEAN_MS = 0.03, 8000.0  # timeouts / hangs: 3 % add Exp(8 s)


def mean_of(dist: tuple[Any, ...]) -> float:
    kind = dist[0]
    if kind == "binary":
        return float(dist[1])
    if kind == "lognormal":
        return math.exp(dist[1] + dist[2] ** 2 / 2)
    if kind == "ratings":
        return sum((i + 1) * p for i, p in enumerate(dist[1]))
    if kind == "latency":
        base = LATENCY_MEDIAN_MS * math.exp(LATENCY_SIGMA**2 / 2)
        return base + OUTLIER_P * OUTLIER_MEAN_MS
    raise ValueError(kind)


def variance_of(dist: tuple[Any, ...]) -> float:
    kind = dist[0]
    if kind == "binary":
        return float(dist[1] * (1 - dist[1]))
    if kind == "lognormal":
        mu, s2 = dist[1], dist[2] ** 2
        return (math.exp(s2) - 1) * math.exp(2 * mu + s2)
    if kind == "ratings":
        m = mean_of(dist)
        return sum((i + 1 - m) ** 2 * p for i, p in enumerate(dist[1]))
    raise ValueError(kind)


def sampler(dist: tuple[Any, ...], rng: random.Random, scale: float = 1.0) -> Callable[[], float]:
    kind = dist[0]
    if kind == "binary":
        p = dist[1]
        return lambda: 1.0 if rng.random() < p else 0.0
    if kind == "lognormal":
        mu, sigma = dist[1], dist[2]
        return lambda: scale * rng.lognormvariate(mu, sigma)
    if kind == "ratings":
        cum = []
        total = 0.0
        for p in dist[1]:
            total += p
            cum.append(total)
        cum[-1] = 1.0
        return lambda: float(bisect.bisect_right(cum, rng.random()) + 1)
    if kind == "latency":
        mu = math.log(LATENCY_MEDIAN_MS)
        cap = dist[1] if len(dist) > 1 else math.inf  # a capped (winsorised) metric

        def latency() -> float:
            y = rng.lognormvariate(mu, LATENCY_SIGMA)
            if rng.random() < OUTLIER_P:
                y += rng.expovariate(1.0 / OUTLIER_MEAN_MS)
            return min(scale * y, cap)

        return latency
    raise ValueError(kind)


class Arms:
    """Running sufficient statistics per arm; `stats(k)` builds Parley's stats object."""

    def __init__(self, k: int, binary: bool) -> None:
        self.binary = binary
        self.n = [0] * k
        self.s = [0.0] * k
        self.q = [0.0] * k

    def add(self, arm: int, y: float) -> None:
        self.n[arm] += 1
        self.s[arm] += y
        self.q[arm] += y * y

    def stats(self, arm: int) -> ArmStats:
        if self.binary:
            return ProportionStats(self.n[arm], round(self.s[arm]))
        return SampleStats(self.n[arm], self.s[arm], self.q[arm])


def _gate(a: ArmStats, b: ArmStats, min_units: int = MIN_UNITS) -> bool:
    return has_minimum_data(a, min_units, MIN_EVENTS) and has_minimum_data(b, min_units, MIN_EVENTS)


def _add(tally: Tally, key: str, value: float = 1.0) -> None:
    tally[key] = tally.get(key, 0.0) + value


# --- §5.1, §5.2, §5.4: two arms, peeking -----------------------------------------------------


def two_arm(name: str, params: Params, start: int, count: int) -> Tally:
    """A/A false positives, CS coverage and power under continuous peeking.

    Params: dist_a, dist_b (default dist_a), scale_b (numeric effect), share_b, n_max,
    peek_every, coverage (also check the relative CS), min_units (default: Parley's per-kind
    gate), scale ("log": the metric is ln y through `log_value`, values ≤ 0 left out).
    """
    dist_a = params["dist_a"]
    dist_b = params.get("dist_b", dist_a)
    scale_b = params.get("scale_b", 1.0)
    share_b, n_max, every = params["share_b"], params["n_max"], params["peek_every"]
    binary = dist_a[0] == "binary"
    log_scale = params.get("scale", "linear") == "log"
    if log_scale and ("dist_b" in params or binary):
        raise ValueError("log-scale scenarios take a multiplicative effect (scale_b) only")
    if log_scale:  # ln(c·y) = ln y + ln c: the effect on mean logs, and on geometric means
        true_abs, true_rel = math.log(scale_b), scale_b - 1.0
    elif "dist_b" in params or scale_b != 1.0:
        mean_a, mean_b = mean_of(dist_a), mean_of(dist_b) * scale_b
        true_abs, true_rel = mean_b - mean_a, (mean_b - mean_a) / abs(mean_a)
    else:  # A/A: the effect is 0 whatever the mean (capped metrics have no closed form)
        true_abs = true_rel = 0.0
    check_rel = params.get("coverage", False)
    min_units = params.get("min_units", default_min_units("binary" if binary else "numeric"))
    tally: Tally = {"runs": 0.0}
    for run in range(start, start + count):
        rng = random.Random(f"{name}:{run}")
        draw = (sampler(dist_a, rng), sampler(dist_b, rng, scale_b))
        arms = Arms(2, binary)
        seq_hit = naive_hit = miss_abs = miss_rel = miss_rel_all = reportable = False
        stop = 0
        for i in range(1, n_max + 1):
            arm = 1 if rng.random() < share_b else 0
            y: float | None = draw[arm]()
            if log_scale:
                y = log_value(y)
            if y is not None:
                arms.add(arm, y)
            if i % every:
                continue
            a, b = arms.stats(0), arms.stats(1)
            if not _gate(a, b, min_units):
                continue
            try:
                r, rr, indicative = compare_arms(
                    a, b, alpha=ALPHA, n_star=N_STAR, log_scale=log_scale
                )
            except ValueError:  # both arms constant so far (possible for ratings)
                continue
            if not seq_hit and r.p_value <= ALPHA:
                seq_hit, stop = True, i
            if not miss_abs and not r.lower <= true_abs <= r.upper:
                miss_abs = True
            if check_rel and rr is not None:
                missed = not rr.lower <= true_rel <= rr.upper
                miss_rel_all = miss_rel_all or missed
                if not indicative:  # what the report presents as a reliable relative interval
                    reportable = True
                    miss_rel = miss_rel or missed
            if not naive_hit:
                naive_hit = fixed_test(a, b, alpha=ALPHA, distribution="normal").p_value <= ALPHA
        a, b = arms.stats(0), arms.stats(1)
        final_ok = min(a.n, b.n) >= 2 and effect(a, b).std_error > 0.0
        fixed_hit = final_ok and fixed_test(a, b, distribution="normal").p_value <= ALPHA
        fixed_rel_hit = (
            final_ok
            and a.mean != 0.0
            and fixed_test(a, b, relative=True, distribution="normal").p_value <= ALPHA
        )
        _add(tally, "runs")
        _add(tally, "seq_reject", seq_hit)
        _add(tally, "naive_reject", naive_hit)
        _add(tally, "fixed_reject", fixed_hit)
        _add(tally, "fixed_rel_reject", fixed_rel_hit)
        _add(tally, "miss_abs", miss_abs)
        _add(tally, "miss_rel", miss_rel)
        _add(tally, "miss_rel_all", miss_rel_all)
        _add(tally, "rel_reportable", reportable)
        # Stopping size: first rejection, or n_max when the test never rejected.
        _add(tally, f"stop:{stop if seq_hit else n_max}")
        if final_ok:
            est = effect(a, b).estimate
            _add(tally, "est_n")
            _add(tally, "est_sum", est - true_abs)
            _add(tally, "est_sq", (est - true_abs) ** 2)
    return tally


# --- §5.3: delayed outcomes, weight change, sticky units --------------------------------------


def delayed(name: str, params: Params, start: int, count: int) -> Tally:
    """Outcomes arrive U{0..max_delay} conversations late; weights change mid-run; returning
    callers keep their first arm (the store is a dict honouring the first assignment, new units
    are hashed with `choose_arm` under the weights in force). Analysis uses matured outcomes.

    Params: p_a, p_b, n_max, peek_every, max_delay, schedule [(from_conversation, weights)],
    return_prob (share of conversations from an already-seen caller).
    """
    p = (params["p_a"], params["p_b"])
    n_max, every, max_delay = params["n_max"], params["peek_every"], params["max_delay"]
    schedule = params["schedule"]
    return_prob = params["return_prob"]
    true_abs = p[1] - p[0]
    tally: Tally = {"runs": 0.0}
    for run in range(start, start + count):
        rng = random.Random(f"{name}:{run}")
        seed = f"{name}-{run}"  # experiment id: the hashing seed
        store: dict[str, int] = {}
        units: list[str] = []
        expected = [0.0, 0.0]  # Σ over first assignments of the weights in force (§2.5)
        first = [0, 0]
        pending: dict[int, list[tuple[int, float]]] = {}
        arms = Arms(2, True)
        seq_hit = naive_hit = miss = srm_alarm = srm_naive_alarm = False
        moved = returning = 0
        weights = schedule[0][1]
        for i in range(1, n_max + 1):
            for start_at, w in schedule:
                if i == start_at + 1:
                    weights = w
            if units and rng.random() < return_prob:
                unit = units[rng.randrange(len(units))]
                arm = store[unit]  # the stored assignment wins over the hash
                returning += 1
                moved += choose_arm(unit, seed, weights) != arm
            else:
                unit = f"caller-{run}-{i}"
                hashed = choose_arm(unit, seed, weights)
                assert hashed is not None
                arm = store.setdefault(unit, hashed)
                units.append(unit)
                first[arm] += 1
                expected[0] += weights[0]
                expected[1] += weights[1]
            y = 1.0 if rng.random() < p[arm] else 0.0
            pending.setdefault(i + rng.randint(0, max_delay), []).append((arm, y))
            for matured_arm, matured_y in pending.pop(i, ()):
                arms.add(matured_arm, matured_y)
            if i % every:
                continue
            srm = check_srm(first, expected)
            srm_alarm = srm_alarm or srm.alarm
            srm_naive_alarm = srm_naive_alarm or check_srm(first, list(weights)).alarm
            a, b = arms.stats(0), arms.stats(1)
            if not _gate(a, b):
                continue
            r = sequential_test(a, b, alpha=ALPHA, n_star=N_STAR)
            seq_hit = seq_hit or r.p_value <= ALPHA
            miss = miss or not r.lower <= true_abs <= r.upper
            if not naive_hit:
                naive_hit = fixed_test(a, b, distribution="normal").p_value <= ALPHA
        a, b = arms.stats(0), arms.stats(1)
        est = effect(a, b).estimate
        _add(tally, "runs")
        _add(tally, "seq_reject", seq_hit)
        _add(tally, "naive_reject", naive_hit)
        _add(tally, "miss_abs", miss)
        _add(tally, "srm_alarm", srm_alarm)
        _add(tally, "srm_naive_alarm", srm_naive_alarm)
        _add(tally, "returning", returning)
        _add(tally, "hash_would_move", moved)
        _add(tally, "pending_at_end", sum(len(v) for v in pending.values()))
        _add(tally, "est_n")
        _add(tally, "est_sum", est - true_abs)
        _add(tally, "est_sq", (est - true_abs) ** 2)
    return tally


# --- §5.5: SRM --------------------------------------------------------------------------------


def srm(name: str, params: Params, start: int, count: int) -> Tally:
    """χ² (p < 0.001) vs the sequential Bayes factor, checked every `check_every` units.

    Params: share_b (true assignment probability of arm 1), weights (expected), n_max,
    check_every.
    """
    share_b, weights = params["share_b"], params["weights"]
    n_max, every = params["n_max"], params["check_every"]
    levels = (20.0, 100.0, 1000.0)
    tally: Tally = {"runs": 0.0}
    for run in range(start, start + count):
        rng = random.Random(f"{name}:{run}")
        counts = [0, 0]
        chi2_hit = False
        bf_max = 0.0
        for i in range(1, n_max + 1):
            counts[1 if rng.random() < share_b else 0] += 1
            if i % every:
                continue
            r = check_srm(counts, weights)
            chi2_hit = chi2_hit or (r.chi2_p_value is not None and r.chi2_p_value < 0.001)
            bf_max = max(bf_max, r.bayes_factor)
        final = check_srm(counts, weights)
        _add(tally, "runs")
        _add(tally, "chi2_any", chi2_hit)
        _add(tally, "chi2_final", final.chi2_p_value is not None and final.chi2_p_value < 0.001)
        for level in levels:
            _add(tally, f"bf{level:g}", bf_max >= level)
    return tally


# --- §5.6: bandit -----------------------------------------------------------------------------


def bandit(name: str, params: Params, start: int, count: int) -> Tally:
    """Thompson sampling with a floor on matured outcomes (Parley's `thompson_weights`).

    Params: rates, n_total, batch, max_delay, floor, burn_in, draws (per update), final_draws,
    adaptive (False: weights stay equal, the fixed-allocation comparator), test_alpha (the
    always-valid test of each arm vs arm 0, Bonferroni over the treatments, at every update).
    """
    rates = params["rates"]
    k = len(rates)
    n_total, batch, max_delay = params["n_total"], params["batch"], params["max_delay"]
    floor, burn_in = params["floor"], params["burn_in"]
    best = max(range(k), key=rates.__getitem__)
    test_alpha = params["test_alpha"] / (k - 1)
    tally: Tally = {"runs": 0.0}
    for run in range(start, start + count):
        rng = random.Random(f"{name}:{run}")
        weights = [1.0 / k] * k
        cum = _cumulative(weights)
        matured = Arms(k, True)
        pending: dict[int, list[tuple[int, float]]] = {}
        reward = 0.0
        traffic = [0] * k
        updates = floor_ok = 0
        confident_any = test_hit = False
        for i in range(1, n_total + 1):
            arm = min(bisect.bisect_right(cum, rng.random()), k - 1)
            y = 1.0 if rng.random() < rates[arm] else 0.0
            reward += y
            traffic[arm] += 1
            pending.setdefault(i + rng.randint(0, max_delay), []).append((arm, y))
            for a, v in pending.pop(i, ()):
                matured.add(a, v)
            if i % batch or i == n_total:
                continue
            stats = [matured.stats(j) for j in range(k)]
            if params["adaptive"]:
                weights = thompson_weights(
                    stats,
                    seed=rng.randrange(2**32),
                    floor=floor,
                    burn_in=burn_in,
                    draws=params["draws"],
                )
                cum = _cumulative(weights)
                updates += 1
                floor_ok += min(weights) >= floor - 1e-12 and abs(sum(weights) - 1) < 1e-9
            if params.get("track_confidence") and min(s.n for s in stats) >= burn_in:
                pi = prob_best(stats, seed=rng.randrange(2**32), draws=params["draws"])
                confident_any = confident_any or max(pi) >= 0.95
            for j in range(1, k):
                if _gate(stats[0], stats[j]):
                    r = sequential_test(stats[0], stats[j], alpha=test_alpha, n_star=N_STAR)
                    test_hit = test_hit or r.p_value <= test_alpha
        for due in sorted(pending):  # the attribution window closes: every outcome matures
            for a, v in pending[due]:
                matured.add(a, v)
        final = [matured.stats(j) for j in range(k)]
        pi = prob_best(final, seed=rng.randrange(2**32), draws=params["final_draws"])
        top = max(range(k), key=pi.__getitem__)
        _add(tally, "runs")
        _add(tally, "correct", top == best)
        _add(tally, "confident", pi[best] >= 0.95)
        _add(tally, "confident_any", confident_any)
        _add(tally, "test_reject", test_hit)
        _add(tally, "reward_sum", reward / n_total)
        _add(tally, "reward_sq", (reward / n_total) ** 2)
        _add(tally, "best_share", traffic[best] / n_total)
        _add(tally, "updates", updates)
        _add(tally, "floor_ok", floor_ok)
    return tally


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


KERNELS: dict[str, Callable[[str, Params, int, int], Tally]] = {
    "two_arm": two_arm,
    "delayed": delayed,
    "srm": srm,
    "bandit": bandit,
}


def run_chunk(task: tuple[str, str, Params, int, int]) -> tuple[str, Tally]:
    """Pool entry point: (kernel, scenario name, params, first run, count) → tallies."""
    kernel, name, params, start, count = task
    return name, KERNELS[kernel](name, params, start, count)
