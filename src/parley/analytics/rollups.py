"""Rollups: analytics pre-aggregated per (agent, UTC day, version, provider), kept exact.

`Totals` is the mergeable form of everything analytics reports: counts, per-unit cost sums,
termination and tool counts, data-collection tallies and `sketch.Histogram`s for duration and
turn latency. One is computed from raw rows per (day, version, provider) and stored as a
rollup row; a query adds rows up. Everything but percentiles (within `sketch.RELATIVE_ERROR`)
and the top values of a high-cardinality text field (`TOP_KEPT`) adds up exactly.

Freshness: triggers mark an (agent, day) dirty on every conversation insert, update or delete
(migration 0007); `refresh` recomputes dirty days from the raw rows and clears the marks. The
service refreshes the days a query reads before reading them; `refresh_all` does every dirty
day of every agent (for a periodic job, so that queries rarely have work left to do).
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.analytics.repository import AnalyticsRepository, Window
from parley.analytics.sketch import Histogram

# Distinct values kept per data-collection field per rollup row (the commonest ones): top
# values stay exact unless one (agent, day, version, provider) saw more distinct values.
TOP_KEPT = 50
# Days recomputed from one raw read (bounds memory when a long stretch is dirty).
CHUNK_DAYS = 7

Dims = tuple[str, int, str]  # (day, version or 0, provider)


@functools.lru_cache(maxsize=4096)  # label values repeat a lot; parsing is the cost
def _number(text: str) -> float | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if is_number else None


def turn_latency(latency: Any) -> float | None:
    """A turn's latency: the sum of its metrics (seconds), None when it carries none."""
    if not isinstance(latency, dict):
        return None
    metrics = [float(v) for v in latency.values() if isinstance(v, int | float)]
    return sum(metrics) if metrics else None


class Totals:
    """Sufficient statistics for one group of conversations; `merge` adds two groups."""

    __slots__ = (
        "conversations",
        "costs",
        "data",
        "duration",
        "failed",
        "latency",
        "reasons",
        "successful",
        "tools",
    )

    def __init__(self) -> None:
        self.conversations = 0
        self.successful = 0
        self.failed = 0
        self.costs: dict[str | None, list[float]] = {}  # unit -> [n, successful, total]
        self.reasons: Counter[str] = Counter()
        self.tools: Counter[str] = Counter()
        # field -> {"n", "t" (true), "f" (false), "num" (numbers), "sum", "v": {text: n}}
        self.data: dict[str, dict[str, Any]] = {}
        self.duration = Histogram()
        self.latency = Histogram()

    def add_conversation(
        self,
        successful: bool | None,
        duration: float | None,
        cost: float | None,
        unit: str | None,
        reason: str | None,
    ) -> None:
        self.conversations += 1
        won = successful is True
        self.successful += won
        self.failed += successful is False
        if duration is not None:
            self.duration.add(float(duration))
        if cost is not None:
            entry = self.costs.setdefault(unit, [0, 0, 0.0])
            entry[0] += 1
            entry[1] += won
            entry[2] += float(cost)
        if reason is not None:
            self.reasons[str(reason)] += 1

    def add_turn(self, calls: Any, latency: Any) -> None:
        for call in calls or []:
            self.tools[str(call.get("name") if isinstance(call, dict) else None)] += 1
        value = turn_latency(latency)
        if value is not None:
            self.latency.add(value)

    def add_label(self, field: str, text: str) -> None:
        tally = self.data.setdefault(field, {"n": 0, "t": 0, "f": 0, "num": 0, "sum": 0.0})
        tally["n"] += 1
        if text == "true":
            tally["t"] += 1
        elif text == "false":
            tally["f"] += 1
        number = _number(text)
        if number is not None:
            tally["num"] += 1
            tally["sum"] += number
        values = tally.setdefault("v", {})
        values[text] = values.get(text, 0) + 1

    def merge_json(self, conversations: int, stats: dict[str, Any]) -> None:
        """Add a stored rollup (the query's hot path: no intermediate objects)."""
        self.conversations += conversations
        self.successful += stats["won"]
        self.failed += stats["lost"]
        for unit, n, won, total in stats["costs"]:
            entry = self.costs.setdefault(unit, [0, 0, 0.0])
            entry[0] += n
            entry[1] += won
            entry[2] += total
        self.reasons.update(stats["reasons"])
        self.tools.update(stats["tools"])
        for field, other in stats["data"].items():
            tally = self.data.get(field)
            if tally is None:
                self.data[field] = {**other, "v": dict(other["v"])}
                continue
            for key in ("n", "t", "f", "num", "sum"):
                tally[key] += other[key]
            values = tally["v"]
            for text, n in other["v"].items():
                values[text] = values.get(text, 0) + n
        self.duration.merge_json(stats["duration"])
        self.latency.merge_json(stats["latency"])

    def merge(self, other: Totals) -> None:
        self.merge_json(other.conversations, other.to_json(keep=None))

    def to_json(self, *, keep: int | None = TOP_KEPT) -> dict[str, Any]:
        data = {}
        for field, tally in sorted(self.data.items()):
            ranked = sorted(tally["v"].items(), key=lambda item: (-item[1], item[0]))
            data[field] = {**tally, "v": dict(ranked[:keep] if keep is not None else ranked)}
        return {
            "won": self.successful,
            "lost": self.failed,
            "costs": [[unit, *entry] for unit, entry in sorted(self.costs.items(), key=_unit)],
            "reasons": dict(self.reasons),
            "tools": dict(self.tools),
            "data": data,
            "duration": self.duration.to_json(),
            "latency": self.latency.to_json(),
        }


def _unit(item: tuple[str | None, Any]) -> str:
    return item[0] or ""


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC)


async def collect(repo: AnalyticsRepository, window: Window) -> dict[Dims, Totals]:
    """Totals per (day, version or 0, provider) computed from the window's raw rows."""
    totals: dict[Dims, Totals] = {}
    owner: dict[int, Totals] = {}
    for row in await repo.conversations(window):
        cid, started, version, provider, successful, duration, cost, unit, reason = row
        dims = (day_of(started), version or 0, str(provider))
        group = totals.get(dims)
        if group is None:
            group = totals[dims] = Totals()
        group.add_conversation(successful, duration, cost, unit, reason)
        owner[cid] = group
    if not owner:
        return totals
    for cid, calls, latency in await repo.turns(window):
        turn_group = owner.get(cid)
        if turn_group is not None:  # a conversation stored after the first read: next refresh
            turn_group.add_turn(calls, latency)
    for cid, key, value in await repo.data_labels(window):
        label_group = owner.get(cid)
        if label_group is not None:
            label_group.add_label(str(key).removeprefix("data."), str(value))
    return totals


def _runs(days: Iterable[str]) -> list[list[str]]:
    """Consecutive days in runs of at most CHUNK_DAYS, each read from the raw rows at once."""
    runs: list[list[str]] = []
    for day in sorted(days):
        last = runs[-1][-1] if runs else None
        consecutive = last is not None and date.fromisoformat(day) - date.fromisoformat(
            last
        ) == timedelta(days=1)
        if consecutive and len(runs[-1]) < CHUNK_DAYS:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


async def refresh(
    session: AsyncSession,
    agent_id: int,
    first_day: str | None = None,
    end_day: str | None = None,
) -> int:
    """Recompute the agent's dirty days in [first_day, end_day) from raw rows; how many.

    The dirty marks are locked first (PostgreSQL: SELECT ... FOR UPDATE), and a writer's
    trigger updates the mark of the day it touches, so a write either committed before the
    lock (and is read here) or waits for this transaction and re-marks the day after it.
    """
    repo = AnalyticsRepository(session)
    days = await repo.lock_dirty(agent_id, first_day, end_day)
    for run in _runs(days):
        window = Window(agent_id, midnight(run[0]), midnight(run[-1]) + timedelta(days=1))
        totals = await collect(repo, window)
        rows = [
            {
                "day": day,
                "version_number": version,
                "provider": provider,
                "conversations": group.conversations,
                "stats": group.to_json(),
            }
            for (day, version, provider), group in sorted(totals.items())
        ]
        await repo.replace_rollups(agent_id, run, rows)
    if days:
        await repo.clear_dirty(agent_id, days)
    return len(days)


async def refresh_all(session: AsyncSession) -> int:
    """Recompute every dirty day of every agent; how many (agent, day) buckets."""
    repo = AnalyticsRepository(session)
    return sum([await refresh(session, agent_id) for agent_id in await repo.dirty_agents()])
