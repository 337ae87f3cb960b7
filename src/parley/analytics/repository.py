"""Every query analytics runs. Counts and sums are SQL GROUP BYs; values that need ordering
(durations) or JSON (turn tool calls and latency) are fetched as plain columns for Python.

Nothing here is dialect-specific except the day bucket: started_at is stored in UTC, as naive
ISO text on SQLite (so its first 10 characters are the UTC day) and as timestamptz on
PostgreSQL (formatted in UTC so the session's time zone cannot move a conversation's day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from parley.analytics.schemas import GroupBy
from parley.models import Agent, Conversation, ConversationLabel, ConversationTurn

ALL = "all"  # the one key when results are not grouped


@dataclass(frozen=True, slots=True)
class Scope:
    agent_id: int
    version: int | None = None
    provider: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    group_by: GroupBy | None = None


def _won() -> ColumnElement[int]:
    return case((Conversation.successful.is_(True), 1), else_=0)


def _lost() -> ColumnElement[int]:
    return case((Conversation.successful.is_(False), 1), else_=0)


class AnalyticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def agent_id(self, name: str) -> int | None:
        return await self.session.scalar(select(Agent.id).where(Agent.name == name))

    def _key(self, group_by: GroupBy | None) -> SQLColumnExpression[Any] | None:
        if group_by == "version":
            return Conversation.version_number
        if group_by == "provider":
            return Conversation.provider
        if group_by == "day":
            # Literal (not bound) arguments: PostgreSQL matches the GROUP BY expression to the
            # selected one only when both are textually identical, parameters included.
            if self.session.get_bind().dialect.name == "postgresql":
                utc = func.timezone(literal_column("'UTC'"), Conversation.started_at)
                return func.to_char(utc, literal_column("'YYYY-MM-DD'"), type_=String)
            return func.substr(
                Conversation.started_at, literal_column("1"), literal_column("10"), type_=String
            )
        return None

    async def _rows(
        self,
        scope: Scope,
        columns: Sequence[Any],
        *,
        group: Sequence[Any] = (),
        where: Sequence[ColumnElement[bool]] = (),
        order: Sequence[Any] = (),
        aggregate: bool = True,
        join: type[ConversationTurn] | type[ConversationLabel] | None = None,
    ) -> list[tuple[Any, ...]]:
        """(group key, *columns) rows for the scope's conversations; key `all` when ungrouped.

        `aggregate`: the columns are aggregates, grouped by the key and `group`. `join`: rows of
        the conversations' turns or labels instead of the conversations themselves.
        """
        key = self._key(scope.group_by)
        query: Select[Any] = select(*([key] if key is not None else []), *columns)
        query = query.select_from(Conversation)
        if join is not None:
            query = query.join(join, join.conversation_id == Conversation.id)
        query = query.where(Conversation.agent_id == scope.agent_id, *where)
        if scope.version is not None:
            query = query.where(Conversation.version_number == scope.version)
        if scope.provider is not None:
            query = query.where(Conversation.provider == scope.provider)
        if scope.since is not None:
            query = query.where(Conversation.started_at >= scope.since)
        if scope.until is not None:
            query = query.where(Conversation.started_at < scope.until)
        keys = [key] if key is not None else []
        if aggregate and (keys or group):
            query = query.group_by(*keys, *group)
        if order:
            query = query.order_by(*keys, *order)
        rows = await self.session.execute(query)
        if key is None:
            return [(ALL, *row) for row in rows]
        return [tuple(row) for row in rows]

    async def counts(self, scope: Scope) -> list[tuple[Any, ...]]:
        """(key, conversations, successful, failed)."""
        columns = [func.count(Conversation.id), func.sum(_won()), func.sum(_lost())]
        return await self._rows(scope, columns)

    async def costs(self, scope: Scope) -> list[tuple[Any, ...]]:
        """(key, unit, conversations, successful, total cost) for conversations with a cost."""
        columns = [
            Conversation.cost_unit,
            func.count(Conversation.id),
            func.sum(_won()),
            func.sum(Conversation.cost),
        ]
        where = [Conversation.cost.is_not(None)]
        return await self._rows(scope, columns, group=[Conversation.cost_unit], where=where)

    async def terminations(self, scope: Scope) -> list[tuple[Any, ...]]:
        """(key, termination reason, conversations)."""
        reason = Conversation.termination_reason
        columns = [reason, func.count(Conversation.id)]
        return await self._rows(scope, columns, group=[reason], where=[reason.is_not(None)])

    async def data_values(self, scope: Scope) -> list[tuple[Any, ...]]:
        """(key, `data.<field>` label, value as text, conversations) from the labels table."""
        label = ConversationLabel
        columns = [label.key, label.value, func.count(label.conversation_id)]
        return await self._rows(
            scope,
            columns,
            group=[label.key, label.value],
            where=[label.key.like("data.%")],
            join=ConversationLabel,
        )

    async def durations(self, scope: Scope) -> list[tuple[Any, ...]]:
        """(key, duration) ordered by key then duration: each group's column, sorted."""
        duration = Conversation.duration_s
        return await self._rows(
            scope, [duration], where=[duration.is_not(None)], order=[duration], aggregate=False
        )

    async def turn_details(self, scope: Scope) -> list[tuple[Any, ...]]:
        """(key, tool_calls, latency) of every turn (JSON: read in Python on both databases)."""
        columns = [ConversationTurn.tool_calls, ConversationTurn.latency]
        return await self._rows(scope, columns, aggregate=False, join=ConversationTurn)
