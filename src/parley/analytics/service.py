"""Analytics for one agent: per version, day, provider, or overall, over a time range.

Counts and sums come from SQL GROUP BYs (`repository`), so they cost one indexed scan each.
Percentiles are exact: each group's durations arrive as one ordered column and the nearest-rank
value is picked in Python; turn latency and tool calls live in JSON columns, which the two
databases query differently, so turns are read and summed here. That means every request reads
one float per conversation and two small JSON values per turn in range: fine for the tens of
thousands of conversations a range holds today. The 1M-conversation goal will need
pre-aggregated rollups (per agent, version, provider and day, with mergeable sketches for the
percentiles) maintained as conversations are stored; they are deliberately not built yet.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.analytics.repository import AnalyticsRepository, Scope
from parley.analytics.schemas import (
    AnalyticsGroup,
    AnalyticsReport,
    CostSummary,
    FieldSummary,
    GroupBy,
    Percentiles,
    ValueCount,
)
from parley.errors import InvalidInput, NotFound

TOP_VALUES = 5


def percentile(ordered: Sequence[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def percentiles(values: Sequence[float], *, presorted: bool = False) -> Percentiles:
    ordered = values if presorted else sorted(values)
    return Percentiles(
        count=len(ordered),
        p50=percentile(ordered, 50),
        p90=percentile(ordered, 90),
        p99=percentile(ordered, 99),
    )


def _key_text(key: Any) -> str | None:
    return None if key is None else str(key)


def _order(key: Any) -> tuple[bool, Any]:
    # Versions sort as numbers, days and providers as text; "no version" comes last.
    return (key is None, key if key is not None else 0)


def _number(text: str) -> float | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if is_number else None


def field_summary(field: str, values: dict[str, int]) -> FieldSummary:
    """One field from its label values (`true`, `3`, `2.5` or the text itself) and counts.

    A field whose every value is `true`/`false` is boolean, every value a JSON number is
    numeric; anything else is text (so a string field that happens to hold "true" reads as
    boolean: labels keep text only).
    """
    count = sum(values.values())
    if set(values) <= {"true", "false"}:
        true, false = values.get("true", 0), values.get("false", 0)
        return FieldSummary(field=field, kind="boolean", count=count, true=true, false=false)
    numbers = {text: _number(text) for text in values}
    if all(n is not None for n in numbers.values()):
        total = sum((numbers[t] or 0.0) * n for t, n in values.items())
        return FieldSummary(field=field, kind="number", count=count, mean=total / count)
    ranked = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:TOP_VALUES]
    top = [ValueCount(value=v, count=n) for v, n in ranked]
    return FieldSummary(field=field, kind="string", count=count, top=top)


def _turn_latency(latency: Any) -> float | None:
    """A turn's latency: the sum of its metrics (seconds), None when it carries none."""
    if not isinstance(latency, dict):
        return None
    metrics = [float(v) for v in latency.values() if isinstance(v, int | float)]
    return sum(metrics) if metrics else None


def _cost(row: tuple[Any, ...]) -> CostSummary:
    _key, unit, conversations, successful, total = row
    total, successful = float(total or 0.0), int(successful or 0)
    return CostSummary(
        unit=unit,
        conversations=int(conversations),
        successful=successful,
        total=total,
        per_conversation=total / int(conversations),
        per_successful=total / successful if successful else None,
    )


async def summarise(
    session: AsyncSession,
    *,
    agent: str,
    version: int | None = None,
    provider: str | None = None,
    since: datetime | None,
    until: datetime | None,
    group_by: GroupBy | None = None,
) -> AnalyticsReport:
    """The agent's conversations started in [since, until), summarised per group."""
    if since is not None and until is not None and since >= until:
        raise InvalidInput("since must be before until")
    repo = AnalyticsRepository(session)
    agent_id = await repo.agent_id(agent)
    if agent_id is None:
        raise NotFound(f"no agent {agent!r}", details={"agent": agent})
    scope = Scope(agent_id, version, provider, since, until, group_by)

    costs: dict[Any, list[CostSummary]] = defaultdict(list)
    for row in await repo.costs(scope):
        costs[row[0]].append(_cost(row))
    reasons: dict[Any, Counter[str]] = defaultdict(Counter)
    for key, reason, n in await repo.terminations(scope):
        reasons[key][str(reason)] += int(n)
    data: dict[Any, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for key, label, value, n in await repo.data_values(scope):
        data[key][str(label).removeprefix("data.")][str(value)] = int(n)
    durations: dict[Any, list[float]] = defaultdict(list)
    for key, duration in await repo.durations(scope):
        durations[key].append(float(duration))  # already in order
    tools: dict[Any, Counter[str]] = defaultdict(Counter)
    latencies: dict[Any, list[float]] = defaultdict(list)
    for key, calls, latency in await repo.turn_details(scope):
        for call in calls or []:
            tools[key][str(call.get("name") if isinstance(call, dict) else None)] += 1
        turn = _turn_latency(latency)
        if turn is not None:
            latencies[key].append(turn)

    groups = []
    for key, conversations, won, lost in sorted(
        await repo.counts(scope), key=lambda r: _order(r[0])
    ):
        if not conversations:
            continue  # an ungrouped count over nothing still returns one row
        won, lost = int(won or 0), int(lost or 0)
        groups.append(
            AnalyticsGroup(
                key=_key_text(key),
                conversations=int(conversations),
                successful=won,
                failed=lost,
                success_rate=won / (won + lost) if won + lost else None,
                duration_s=percentiles(durations[key], presorted=True),
                latency_s=percentiles(latencies[key]),
                costs=sorted(costs[key], key=lambda c: c.unit or ""),
                termination_reasons=dict(sorted(reasons[key].items(), key=lambda i: -i[1])),
                tool_usage=dict(sorted(tools[key].items(), key=lambda i: (-i[1], i[0]))),
                data_collection=[
                    field_summary(name, values) for name, values in sorted(data[key].items())
                ],
            )
        )
    return AnalyticsReport(
        agent=agent,
        version=version,
        provider=provider,
        since=since,
        until=until,
        group_by=group_by,
        groups=groups,
    )
