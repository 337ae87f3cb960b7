"""Outcomes: a stored conversation's metric values, added to its arm's running sums once.

Called whenever a conversation record is stored (webhook or sync). A conversation's outcome can
change (a later webhook or a sync knows more), so its previous values are kept in
`experiment_outcomes` and the sums receive the difference: however often a conversation is
stored, it counts exactly once, with its latest values.

A metric compared on the log scale (`scale: log`) also keeps rows of ln y under its own name,
`<metric>:log` (the linear rows stay: the missing-outcome rates and any linear use read them);
a value ≤ 0 has no log and is simply absent from the `:log` rows, so the report counts those
as n(metric) - n(metric:log). The values dict stored per conversation carries the `:log` entry
too, so a changed outcome corrects both rows by the same delta machinery. An experiment created
before log scales existed has no log metric and folds exactly as before.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.analytics.rollups import turn_latency
from parley.db.base import utcnow
from parley.experiments.assignment import OUTCOMES, period_of
from parley.experiments.repository import ExperimentRepository
from parley.experiments.spec import LOG_SUFFIX, ExperimentSpec, MetricKind
from parley.experiments.stats.moments import log_value
from parley.models import Conversation
from parley.models.experiment import ExperimentOutcome

FINAL = ("done", "failed")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _binary(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and value in (0, 1):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return 1.0
        if text in _FALSE:
            return 0.0
    return None


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def conversation_latency(turns: Sequence[Any]) -> float | None:
    """Mean latency of the agent's turns (seconds; a turn's is the sum of its latency metrics,
    as in analytics), None when no agent turn carries any."""
    values = [
        value
        for turn in turns
        if getattr(turn, "role", "agent") == "agent"
        and (value := turn_latency(getattr(turn, "latency", None))) is not None
    ]
    return sum(values) / len(values) if values else None


def metric_value(
    row: Conversation, metric: str, kind: MetricKind, *, latency: float | None = None
) -> float | None:
    """The conversation's value for one metric, or None when it is unknown (a missing outcome).

    `latency` is the conversation's mean turn latency (`conversation_latency` of its turns).
    """
    raw: Any
    if metric == "call_successful":
        raw = row.successful
    elif metric == "duration":
        raw = row.duration_s
    elif metric == "cost":
        raw = row.cost
    elif metric == "latency":
        raw = latency
    elif metric.startswith("eval."):
        result = (row.evaluation or {}).get(metric[5:], {}).get("result")
        raw = {"success": True, "failure": False}.get(str(result))
    else:
        raw = ((row.data_collection or {}).get(metric[5:]) or {}).get("value")
    return _binary(raw) if kind == "binary" else _numeric(raw)


def metric_values(
    row: Conversation,
    metrics: dict[str, MetricKind],
    log_metrics: Collection[str] = (),
    *,
    latency: float | None = None,
) -> dict[str, float]:
    """Values per metric name, plus `<metric>:log` = ln y for log-scale metrics with y > 0."""
    values = {}
    for name, kind in metrics.items():
        value = metric_value(row, name, kind, latency=latency)
        if value is not None:
            values[name] = value
            if name in log_metrics and (logged := log_value(value)) is not None:
                values[name + LOG_SUFFIX] = logged
    return values


def _deltas(
    old: dict[str, float], new: dict[str, float], was_counted: bool
) -> dict[str, tuple[int, float, float]]:
    deltas: dict[str, tuple[int, float, float]] = {}
    for name in set(old) | set(new):
        dn, ds, dq = 0, 0.0, 0.0
        if name in old:
            dn, ds, dq = dn - 1, ds - old[name], dq - old[name] ** 2
        if name in new:
            dn, ds, dq = dn + 1, ds + new[name], dq + new[name] ** 2
        if (dn, ds, dq) != (0, 0.0, 0.0):
            deltas[name] = (dn, ds, dq)
    if not was_counted:
        deltas[OUTCOMES] = (1, 0.0, 0.0)
    return deltas


async def observe(
    session: AsyncSession, row: Conversation, *, turns: Sequence[Any] | None = None
) -> bool:
    """Fold a stored conversation into its experiment's sums; True when anything changed.

    `turns` (the stored record's) give the `latency` metric; without them it is unknown.
    """
    if not row.experiment or not row.arm or row.status not in FINAL:
        return False
    repo = ExperimentRepository(session)
    experiment = await repo.by_name(row.experiment)
    if experiment is None:
        return False
    arm = next((a for a in experiment.arms if a.name == row.arm), None)
    if arm is None:
        return False
    spec = _spec_of(experiment.spec)
    latency = conversation_latency(turns) if turns is not None else None
    new = metric_values(row, spec.metrics(), spec.log_metrics(), latency=latency)
    stored = await repo.outcome(experiment.id, row.id)
    old = stored.values if stored is not None else {}
    deltas = _deltas(old, new, stored is not None)
    if not deltas:
        return False
    period = period_of(row.started_at) if stored is None else stored.period
    if stored is None:
        stored = ExperimentOutcome(
            experiment_id=experiment.id, conversation_id=row.id, arm_id=arm.id, period=period
        )
        session.add(stored)
    stored.values = new
    stored.updated_at = utcnow()
    await repo.add_to_sums(experiment.id, arm.id, period, deltas)
    await session.flush()
    return True


def _spec_of(spec: dict[str, Any]) -> ExperimentSpec:
    return ExperimentSpec.model_validate(spec)
