"""Analytics for one agent: per version, day, provider, or overall, over a time range.

Whole UTC days in the range are read from rollups (`rollups`: one row per agent, day, version
and provider), after recomputing any of those days that changed since (`rollups.refresh`).
A partial day at either end of the range is read from its rollup too when the rest of that day
holds no conversation (a range ending now), else from the raw rows for exactly the requested
instants, merged in. So the answer is always for exactly [since, until), and costs one rollup
row per (day, version, provider) plus the raw rows of at most two partial days.

Counts, rates, costs, termination reasons, tool usage and data-collection counts and means
are exact. Percentiles come from log-bucket histograms: within `sketch.RELATIVE_ERROR`
(under 1 %) of the exact nearest-rank value, whatever the range. The five commonest values
of a text field are exact unless some (day, version, provider) saw more than
`rollups.TOP_KEPT` distinct values of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.analytics import rollups
from parley.analytics.repository import AnalyticsRepository, Window
from parley.analytics.rollups import Dims, Totals
from parley.analytics.schemas import (
    AnalyticsGroup,
    AnalyticsReport,
    CostSummary,
    FieldSummary,
    GroupBy,
    Percentiles,
    ValueCount,
)
from parley.analytics.sketch import Histogram
from parley.errors import InvalidInput, NotFound

ALL = "all"  # the one key when results are not grouped
TOP_VALUES = 5


def percentile(ordered: list[float], p: float) -> float | None:
    """Exact nearest rank: the smallest value with at least p% of the values at or below it
    (the reference the histogram percentiles are tested against)."""
    if not ordered:
        return None
    rank = max(1, -(-p * len(ordered) // 100))
    return float(ordered[int(rank) - 1])


def percentiles(histogram: Histogram) -> Percentiles:
    return Percentiles(
        count=histogram.count,
        p50=histogram.percentile(50),
        p90=histogram.percentile(90),
        p99=histogram.percentile(99),
    )


def field_summary(field: str, tally: dict[str, Any]) -> FieldSummary:
    """One field from its tally: boolean when every value is `true`/`false`, numeric when
    every value is a JSON number, else text with its five commonest values."""
    count = int(tally["n"])
    if tally["t"] + tally["f"] == count:
        return FieldSummary(
            field=field, kind="boolean", count=count, true=tally["t"], false=tally["f"]
        )
    if tally["num"] == count:
        return FieldSummary(field=field, kind="number", count=count, mean=tally["sum"] / count)
    ranked = sorted(tally["v"].items(), key=lambda item: (-item[1], item[0]))[:TOP_VALUES]
    top = [ValueCount(value=v, count=n) for v, n in ranked]
    return FieldSummary(field=field, kind="string", count=count, top=top)


def _cost(unit: str | None, conversations: float, successful: float, total: float) -> CostSummary:
    n, won = int(conversations), int(successful)
    return CostSummary(
        unit=unit,
        conversations=n,
        successful=won,
        total=float(total),
        per_conversation=total / n,
        per_successful=total / won if won else None,
    )


def group(key: str | None, totals: Totals) -> AnalyticsGroup:
    won, lost = totals.successful, totals.failed
    return AnalyticsGroup(
        key=key,
        conversations=totals.conversations,
        successful=won,
        failed=lost,
        success_rate=won / (won + lost) if won + lost else None,
        duration_s=percentiles(totals.duration),
        latency_s=percentiles(totals.latency),
        costs=[_cost(unit, *entry) for unit, entry in sorted(totals.costs.items(), key=_unit)],
        termination_reasons=dict(sorted(totals.reasons.items(), key=lambda i: -i[1])),
        tool_usage=dict(sorted(totals.tools.items(), key=lambda i: (-i[1], i[0]))),
        data_collection=[field_summary(n, t) for n, t in sorted(totals.data.items())],
    )


def _unit(item: tuple[str | None, Any]) -> str:
    return item[0] or ""


def _key(dims: Dims, group_by: GroupBy | None) -> Any:
    day, version, provider = dims
    if group_by == "version":
        return version or None
    if group_by == "day":
        return day
    if group_by == "provider":
        return provider
    return ALL


def _order(key: Any) -> tuple[bool, Any]:
    # Versions sort as numbers, days and providers as text; "no version" comes last.
    return (key is None, key if key is not None else 0)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


async def totals(
    session: AsyncSession,
    agent_id: int,
    *,
    version: int | None = None,
    provider: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    group_by: GroupBy | None = None,
    use_rollups: bool = True,
) -> dict[Any, Totals]:
    """The agent's conversations in [since, until) added up per group key; without
    `use_rollups`, from the raw rows only (the baseline tests and benchmarks compare with)."""
    repo = AnalyticsRepository(session)
    merged: dict[Any, Totals] = {}

    def bucket(key: Any) -> Totals:
        found = merged.get(key)
        if found is None:
            found = merged[key] = Totals()
        return found

    async def raw(start: datetime | None, end: datetime | None) -> None:
        window = Window(agent_id, start, end, version, provider)
        for dims, part in (await rollups.collect(repo, window)).items():
            bucket(_key(dims, group_by)).merge(part)

    if not use_rollups:
        await raw(since, until)
        return merged
    days, edges = await _plan(repo, Window(agent_id, since, until, version, provider))
    if days is not None:
        first, end = days
        await rollups.refresh(session, agent_id, first, end)
        for day, number, on, conversations, stats in await repo.rollups(
            agent_id, first, end, version=version, provider=provider
        ):
            bucket(_key((day, number, on), group_by)).merge_json(conversations, stats)
    for start, stop in edges:
        await raw(start, stop)
    return merged


async def _plan(
    repo: AnalyticsRepository, window: Window
) -> tuple[tuple[str | None, str | None] | None, list[tuple[datetime | None, datetime | None]]]:
    """Whole days [first, end) to read from rollups (None: none), and the raw edges.

    A partial day at either end is read from its rollup when the part of that day outside the
    range holds none of the window's conversations (one indexed probe each): the common case of
    a range ending now, since nothing has started later today yet. Otherwise it is read raw.
    """
    since, until = window.since, window.until
    first = end = None
    edges: list[tuple[datetime | None, datetime | None]] = []
    if since is not None:
        first = since.astimezone(UTC).date().isoformat()
        if since > rollups.midnight(first):
            first = (rollups.midnight(first) + timedelta(days=1)).date().isoformat()
    if until is not None:
        end = until.astimezone(UTC).date().isoformat()
    if first is not None and end is not None and first > end:  # inside one day
        day = rollups.midnight(end)
        outside = await repo.any_in(window, day, since) or await repo.any_in(
            window, until, day + timedelta(days=1)
        )
        return (None, [(since, until)]) if outside else ((end, first), [])
    if since is not None and first is not None and since < rollups.midnight(first):
        day = rollups.midnight(first) - timedelta(days=1)
        if await repo.any_in(window, day, since):
            edges.append((since, rollups.midnight(first)))
        else:
            first = day.date().isoformat()
    if until is not None and end is not None and rollups.midnight(end) < until:
        if await repo.any_in(window, until, rollups.midnight(end) + timedelta(days=1)):
            edges.append((rollups.midnight(end), until))
        else:
            end = (rollups.midnight(end) + timedelta(days=1)).date().isoformat()
    if first is not None and end is not None and first >= end:
        return None, edges
    return (first, end), edges


async def summarise(
    session: AsyncSession,
    *,
    agent: str,
    version: int | None = None,
    provider: str | None = None,
    since: datetime | None,
    until: datetime | None,
    group_by: GroupBy | None = None,
    use_rollups: bool = True,
) -> AnalyticsReport:
    """The agent's conversations started in [since, until), summarised per group."""
    since, until = _aware(since), _aware(until)
    if since is not None and until is not None and since >= until:
        raise InvalidInput("since must be before until")
    agent_id = await AnalyticsRepository(session).agent_id(agent)
    if agent_id is None:
        raise NotFound(f"no agent {agent!r}", details={"agent": agent})
    found = await totals(
        session,
        agent_id,
        version=version,
        provider=provider,
        since=since,
        until=until,
        group_by=group_by,
        use_rollups=use_rollups,
    )
    groups = [
        group(None if key is None else str(key), found[key])
        for key in sorted(found, key=_order)
        if found[key].conversations
    ]
    return AnalyticsReport(
        agent=agent,
        version=version,
        provider=provider,
        since=since,
        until=until,
        group_by=group_by,
        groups=groups,
    )
