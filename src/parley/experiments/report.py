"""An experiment's status: traffic, the primary metric's verdict, guardrails, SRM, the decision.

Everything is computed from the running sums (`experiment_sums`), so a report costs a handful of
rows per arm whatever the number of conversations (reference §4.6). Metric sums count only
*matured* hours when the experiment has a maturity window: an hour of exposures is used once
the window has passed since its end, so slow outcomes cannot bias early looks (§4.5); traffic
counts (assigned, exposures, outcomes) are always up to date.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from parley.experiments.assignment import ASSIGNED, EXPOSURES, OUTCOMES, PERIOD
from parley.experiments.repository import ExperimentRepository
from parley.experiments.schemas import (
    ArmResult,
    ArmTraffic,
    Decision,
    ExperimentReport,
    ExperimentView,
    GuardrailResult,
    Interval,
    MetricResult,
    SrmView,
)
from parley.experiments.spec import ExperimentSpec, Guardrail, Metric, MetricKind
from parley.experiments.stats.analysis import ArmEstimate, analyse_metric, has_minimum_data
from parley.experiments.stats.bandit import prob_best
from parley.experiments.stats.moments import ArmStats, ProportionStats, SampleStats, effect
from parley.experiments.stats.sequential import SequentialResult, sequential_one_sided_bounds
from parley.experiments.stats.srm import check_srm
from parley.models.experiment import Experiment

Sums = dict[tuple[int, str], tuple[int, float, float]]  # (arm id, sums name) -> (n, Σy, Σy²)
WINNER_PROB_BEST = 0.95  # bandits: P(best) and the always-valid test must agree (§4.15)
MISSINGNESS_GAP = 0.10  # differential missing outcomes bias like an SRM (§4.5)


def arm_stats(sums: Sums, arm_id: int, metric: str, kind: MetricKind) -> ArmStats:
    """`metric` is the sums name: `<metric>:log` reads the ln y rows of a log-scale metric."""
    n, total, squares = sums.get((arm_id, metric), (0, 0.0, 0.0))
    if kind == "binary":
        return ProportionStats(n, round(total))
    return SampleStats(n, total, squares)


def _non_positive(sums: Sums, arm_id: int, metric: Metric) -> int | None:
    """Log scale: the arm's values ≤ 0, left out of the comparison (n(metric) - n(metric:log))."""
    if not metric.log_scale:
        return None
    everything = sums.get((arm_id, metric.metric), (0, 0.0, 0.0))[0]
    return max(0, everything - sums.get((arm_id, metric.sums_name), (0, 0.0, 0.0))[0])


def _interval(result: SequentialResult | None) -> Interval | None:
    if result is None:
        return None
    return Interval(
        estimate=result.estimate, lower=result.lower, upper=result.upper, p_value=result.p_value
    )


async def load_sums(
    repo: ExperimentRepository, experiment: Experiment, now: datetime
) -> tuple[Sums, Sums]:
    """(every hour, matured hours only), from one scan of the experiment's sums."""
    minutes = float(experiment.spec.get("maturity_minutes", 0) or 0)
    if minutes <= 0:
        current = {(a, m): (n, s, q) for a, m, n, s, q in await repo.sums(experiment.id)}
        return current, current
    cutoff = now - timedelta(minutes=minutes) - PERIOD
    everything: Sums = {}
    matured: Sums = {}
    for arm, metric, total, ripe in await repo.sums_split(experiment.id, cutoff):
        everything[(arm, metric)], matured[(arm, metric)] = total, ripe
    return everything, matured


def primary_result(
    experiment: Experiment, spec: ExperimentSpec, sums: Sums
) -> tuple[MetricResult, list[ArmStats]]:
    metric = spec.metric
    kind = metric.resolved_kind
    stats = [arm_stats(sums, arm.id, metric.sums_name, kind) for arm in experiment.arms]
    gate = metric.resolved_min_per_arm(spec.min_per_arm)
    analysis = analyse_metric(
        stats,
        alpha=spec.alpha,
        n_star=spec.expected_total,
        min_units=gate,
        log_scale=metric.log_scale,
    )
    rows = [
        ArmResult(
            arm=experiment.arms[0].name,
            **_estimate(analysis.arms[0]),
            non_positive=_non_positive(sums, experiment.arms[0].id, metric),
        ),
    ]
    for comparison in analysis.comparisons:
        arm = experiment.arms[comparison.arm]
        bayes = comparison.bayes
        rows.append(
            ArmResult(
                arm=arm.name,
                **_estimate(analysis.arms[comparison.arm]),
                verdict=comparison.verdict,
                absolute=_interval(comparison.absolute),
                relative=_interval(comparison.relative),
                relative_indicative=comparison.relative is not None
                and comparison.relative_indicative,
                adjusted_p_value=comparison.adjusted_p_value,
                chance_to_beat_control=bayes.chance_to_beat_control if bayes else None,
                expected_loss=bayes.risk_treatment if bayes else None,
                non_positive=_non_positive(sums, arm.id, metric),
            )
        )
    result = MetricResult(
        metric=metric.metric,
        kind=kind,
        scale=metric.resolved_scale,
        min_per_arm=gate,
        arms=rows,
    )
    return result, stats


def _estimate(estimate: ArmEstimate) -> dict[str, float]:
    return {"n": estimate.n, "mean": estimate.mean, "std_dev": estimate.std_dev}


def guardrail_results(
    experiment: Experiment, spec: ExperimentSpec, sums: Sums
) -> list[GuardrailResult]:
    results = []
    for guard in spec.guardrails:
        kind = guard.resolved_kind
        control = arm_stats(sums, experiment.arms[0].id, guard.sums_name, kind)
        for arm in experiment.arms[1:]:
            treatment = arm_stats(sums, arm.id, guard.sums_name, kind)
            bound = _harm_bound(guard, control, treatment, spec)
            harm = guard.harmful_direction
            harmed = bound is not None and (
                bound > guard.margin if harm == "increase" else bound < -guard.margin
            )
            results.append(
                GuardrailResult(
                    metric=guard.metric,
                    arm=arm.name,
                    harm=harm,
                    scale=guard.resolved_scale,
                    margin=guard.margin,
                    bound=bound,
                    harmed=harmed,
                )
            )
    return results


def _harm_bound(
    guard: Guardrail, control: ArmStats, treatment: ArmStats, spec: ExperimentSpec
) -> float | None:
    """The one-sided always-valid bound on the change in the harmful direction (§4.12).

    On the log scale the bound on the difference of mean logs is returned as a relative change
    of the geometric mean, exp(bound) - 1, comparable with the (relative) margin.
    """
    gate = guard.resolved_min_per_arm(spec.min_per_arm)
    if not (has_minimum_data(control, gate, 0) and has_minimum_data(treatment, gate, 0)):
        return None
    if effect(control, treatment).std_error == 0.0:
        return None
    greater, lesser = sequential_one_sided_bounds(
        control, treatment, alpha=spec.alpha, n_star=spec.expected_total
    )
    bound = greater if guard.harmful_direction == "increase" else lesser
    return math.expm1(bound) if guard.log_scale else bound


def traffic(
    experiment: Experiment, spec: ExperimentSpec, everything: Sums, matured: Sums
) -> list[ArmTraffic]:
    rows = []
    for arm in experiment.arms:
        assigned, expected, _ = everything.get((arm.id, ASSIGNED), (0, 0.0, 0.0))
        exposures = everything.get((arm.id, EXPOSURES), (0, 0.0, 0.0))[0]
        outcomes = everything.get((arm.id, OUTCOMES), (0, 0.0, 0.0))[0]
        matured_exposures = matured.get((arm.id, EXPOSURES), (0, 0.0, 0.0))[0]
        matured_primary = matured.get((arm.id, spec.metric.metric), (0, 0.0, 0.0))[0]
        missing = max(0.0, 1.0 - matured_primary / matured_exposures) if matured_exposures else None
        rows.append(
            ArmTraffic(
                arm=arm.name,
                weight=arm.weight,
                assigned=assigned,
                expected_assigned=expected,
                exposures=exposures,
                outcomes=outcomes,
                missing_rate=missing,
            )
        )
    return rows


def srm_view(rows: Sequence[ArmTraffic]) -> SrmView | None:
    """Sequential SRM on new units against the shares in force when each was assigned."""
    counted = [r for r in rows if r.expected_assigned > 0]
    if len(counted) < 2 or sum(r.assigned for r in counted) == 0:
        return None
    result = check_srm([r.assigned for r in counted], [r.expected_assigned for r in counted])
    return SrmView(
        chi2_p_value=result.chi2_p_value,
        bayes_factor=result.bayes_factor,
        p_value=result.p_value,
        alarm=result.alarm,
    )


def decide(
    experiment: Experiment,
    primary: MetricResult,
    guards: Sequence[GuardrailResult],
    best: Sequence[float] | None,
) -> tuple[Decision, str | None]:
    """A winner needs a significant gain, no guardrail harm, and (bandits) P(best) ≥ 0.95."""
    treatments = primary.arms[1:]
    if all(row.verdict == "collecting_data" for row in treatments):
        return "collecting_data", None
    harmed = {g.arm for g in guards if g.harmed}
    paused = {arm.name for arm in experiment.arms if arm.paused}
    better = [
        (index, row)
        for index, row in enumerate(treatments, start=1)
        if row.verdict == "better" and row.arm not in harmed | paused
    ]
    if better:
        index, row = max(better, key=lambda item: item[1].mean)
        if best is not None and best[index] < WINNER_PROB_BEST:
            return "inconclusive", None
        return "winner", row.arm
    if all(row.verdict == "worse" or row.arm in harmed | paused for row in treatments):
        return "control_wins", experiment.arms[0].name
    return "inconclusive", None


def warnings_for(
    spec: ExperimentSpec,
    rows: Sequence[ArmTraffic],
    srm: SrmView | None,
    guards: Sequence[GuardrailResult],
    primary: MetricResult,
    experiment: Experiment,
) -> list[str]:
    found = []
    if srm is not None and srm.alarm:
        found.append(
            "sample ratio mismatch: assignments do not match the weights "
            f"(BF {srm.bayes_factor:.0f}); check routing before trusting results"
        )
    rates = [r.missing_rate for r in rows if r.missing_rate is not None and r.exposures >= 30]
    if len(rates) >= 2 and max(rates) - min(rates) > MISSINGNESS_GAP:
        found.append("outcomes are missing at different rates per arm; results may be biased")
    for guard in guards:
        if guard.harmed:
            found.append(f"guardrail {guard.metric}: arm {guard.arm} is harmful")
    for arm in experiment.arms:
        if arm.paused:
            found.append(f"arm {arm.name} is paused: {arm.paused_reason or 'by hand'}")
    if any(row.verdict == "collecting_data" for row in primary.arms[1:]):
        found.append(
            f"collecting data: a verdict needs {primary.min_per_arm} matured conversations per arm"
            + (" (and 5 successes and 5 failures)" if primary.kind == "binary" else "")
        )
    if any(row.relative_indicative for row in primary.arms[1:]):
        found.append(
            f"{primary.metric}: the relative change is indicative only (too few control "
            "events for its interval); the verdict uses the absolute difference"
        )
    left_out = [(row.arm, row.non_positive, row.n) for row in primary.arms if row.non_positive]
    if left_out:
        counts = ", ".join(f"{arm} {k}" for arm, k, _ in left_out)
        found.append(
            f"{primary.metric}: values ≤ 0 have no log and were left out of the comparison "
            f"({counts})"
        )
        shares = [(row.non_positive or 0) / max(1, row.n + (row.non_positive or 0))
                  for row in primary.arms]  # fmt: skip
        if max(shares) - min(shares) > MISSINGNESS_GAP:
            found.append(
                f"{primary.metric}: the share of values ≤ 0 differs by arm; the log-scale "
                "comparison does not see that difference"
            )
    return found


async def build(
    repo: ExperimentRepository, experiment: Experiment, view: ExperimentView, now: datetime
) -> ExperimentReport:
    spec = ExperimentSpec.model_validate(experiment.spec)
    everything, matured = await load_sums(repo, experiment, now)
    primary, stats = primary_result(experiment, spec, matured)
    guards = guardrail_results(experiment, spec, matured)
    rows = traffic(experiment, spec, everything, matured)
    srm = srm_view(rows)
    best = None
    if spec.mode == "bandit" and all(isinstance(s, ProportionStats) for s in stats):
        best = prob_best([s for s in stats if isinstance(s, ProportionStats)], seed=experiment.id)
    decision, winner = decide(experiment, primary, guards, best)
    return ExperimentReport(
        experiment=view,
        as_of=now,
        traffic=rows,
        primary=primary,
        guardrails=guards,
        srm=srm,
        prob_best=best,
        decision=decision,
        winner=winner,
        warnings=warnings_for(spec, rows, srm, guards, primary, experiment),
    )
