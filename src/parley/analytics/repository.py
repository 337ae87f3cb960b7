"""Every query analytics runs: raw conversation rows for a window, rollup rows, dirty marks.

Raw rows are read as plain columns (turn tool calls and latency are JSON, read in Python on
both databases) and folded into `rollups.Totals`; the day a conversation counts towards is its
`started_at` in UTC, computed in Python from the aware datetime the column returns, which is
the same day the migration's triggers derive in SQL.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.models import (
    Agent,
    AnalyticsDirty,
    AnalyticsRollup,
    Conversation,
    ConversationLabel,
    ConversationTurn,
)


@dataclass(frozen=True, slots=True)
class Window:
    """Conversations of one agent started in [since, until) (None: unbounded), filtered."""

    agent_id: int
    since: datetime | None = None
    until: datetime | None = None
    version: int | None = None
    provider: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        where = [Conversation.agent_id == self.agent_id]
        if self.since is not None:
            where.append(Conversation.started_at >= self.since)
        if self.until is not None:
            where.append(Conversation.started_at < self.until)
        if self.version is not None:
            where.append(Conversation.version_number == self.version)
        if self.provider is not None:
            where.append(Conversation.provider == self.provider)
        return where


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def agent_id(self, name: str) -> int | None:
        return await self.session.scalar(select(Agent.id).where(Agent.name == name))

    # Raw rows ---------------------------------------------------------------------------

    async def conversations(self, window: Window) -> Sequence[tuple[Any, ...]]:
        """(id, started_at, version, provider, successful, duration, cost, unit, reason)."""
        c = Conversation
        query = select(
            c.id,
            c.started_at,
            c.version_number,
            c.provider,
            c.successful,
            c.duration_s,
            c.cost,
            c.cost_unit,
            c.termination_reason,
        ).where(*window.where())
        return await self._all(query)

    async def turns(self, window: Window) -> Sequence[tuple[Any, ...]]:
        """(conversation id, tool_calls, latency) of the window's conversations' turns, but
        those with neither (most user turns: no JSON to parse for them)."""
        t = ConversationTurn
        query: Select[Any] = (
            select(t.conversation_id, t.tool_calls, t.latency)
            .join(Conversation, Conversation.id == t.conversation_id)
            .where(
                *window.where(),
                or_(cast(t.tool_calls, Text) != "[]", cast(t.latency, Text) != "{}"),
            )
        )
        return await self._all(query)

    async def _all(self, query: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        # Core, not the ORM: plain tuples, several times faster over a million rows.
        connection = await self.session.connection()
        return [tuple(row) for row in await connection.execute(query)]

    async def data_labels(self, window: Window) -> Sequence[tuple[Any, ...]]:
        """(conversation id, `data.<field>`, value as text) of the window's conversations."""
        label = ConversationLabel
        query = (
            select(label.conversation_id, label.key, label.value)
            .join(Conversation, Conversation.id == label.conversation_id)
            .where(label.key.like("data.%"), *window.where())
        )
        return await self._all(query)

    async def any_in(self, window: Window, start: datetime | None, end: datetime | None) -> bool:
        """Whether any of the window's agent (version, provider) conversations started in
        [start, end), whatever the window's own range."""
        probe = Window(window.agent_id, start, end, window.version, window.provider)
        where = probe.where()
        # `agent_id + 0`: walk the started_at index over the (usually empty) range instead of
        # every conversation of the agent (SQLite would pick the agent's index otherwise).
        where[0] = (Conversation.agent_id + 0) == window.agent_id
        found = await self.session.scalar(select(Conversation.id).where(*where).limit(1))
        return found is not None

    # Rollups ----------------------------------------------------------------------------

    async def rollups(
        self,
        agent_id: int,
        first_day: str | None,
        end_day: str | None,
        *,
        version: int | None = None,
        provider: str | None = None,
    ) -> Sequence[tuple[str, int, str, int, dict[str, Any]]]:
        """(day, version or 0, provider, conversations, stats) for days in [first, end)."""
        r = AnalyticsRollup
        query = select(r.day, r.version_number, r.provider, r.conversations, r.stats).where(
            r.agent_id == agent_id
        )
        if first_day is not None:
            query = query.where(r.day >= first_day)
        if end_day is not None:
            query = query.where(r.day < end_day)
        if version is not None:
            query = query.where(r.version_number == version)
        if provider is not None:
            query = query.where(r.provider == provider)
        rows = await self.session.execute(query)
        return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]

    async def replace_rollups(
        self, agent_id: int, days: Collection[str], rows: Sequence[dict[str, Any]]
    ) -> None:
        """Delete the agent's rollups for `days` and insert `rows` (dicts of column values)."""
        r = AnalyticsRollup
        await self.session.execute(delete(r).where(r.agent_id == agent_id, r.day.in_(days)))
        if rows:
            now = utcnow()
            await self.session.execute(
                insert(r), [{"agent_id": agent_id, "computed_at": now, **row} for row in rows]
            )

    # Dirty marks ------------------------------------------------------------------------

    async def dirty_agents(self) -> list[int]:
        query = select(AnalyticsDirty.agent_id).distinct().order_by(AnalyticsDirty.agent_id)
        return [int(a) for a in await self.session.scalars(query)]

    async def lock_dirty(
        self, agent_id: int, first_day: str | None = None, end_day: str | None = None
    ) -> list[str]:
        """The agent's dirty days in [first, end), locked until commit on PostgreSQL (a writer
        marking one of them waits, so its conversation is seen by the next refresh)."""
        d = AnalyticsDirty
        query = select(d.day).where(d.agent_id == agent_id).order_by(d.day)
        if first_day is not None:
            query = query.where(d.day >= first_day)
        if end_day is not None:
            query = query.where(d.day < end_day)
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        return [str(day) for day in await self.session.scalars(query)]

    async def clear_dirty(self, agent_id: int, days: Collection[str]) -> None:
        d = AnalyticsDirty
        await self.session.execute(delete(d).where(d.agent_id == agent_id, d.day.in_(days)))
