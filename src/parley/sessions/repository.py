"""The queries of the conversation-start flow; only this module builds SQL for it.

Everything the inbound initiation webhook needs is a handful of indexed lookups: the bindings
of a remote agent, the live bindings of an agent, the version's spec (cached by the service:
versions are immutable), the unit's recent conversations, and one insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    null,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from parley.db.base import utcnow
from parley.models import (
    Agent,
    AgentVersion,
    Conversation,
    ConversationStart,
    Experiment,
    ProviderAgent,
)

RECENT = 5


class Binding(NamedTuple):
    remote_id: str
    remote_version_id: str | None
    remote_branch_id: str | None
    content_hash: str


class Routing(NamedTuple):
    experiment_id: int | None  # the running experiment, if any
    live: list[tuple[str, int]]  # (target, version number) of each live binding, by target


class Past(NamedTuple):
    started_at: datetime
    summary: str | None
    data_collection: dict[str, Any] | None


# The start path's statements, built once: building a statement and its cache key costs more
# than running an indexed SQLite query (values come as bound parameters).
_AGENT_BY_NAME = (
    select(Agent).options(raiseload(Agent.labels)).where(Agent.name == bindparam("name"))
)


def _routing(*where: Any) -> CompoundSelect[Any]:
    """A start's two routing facts in one statement: the agent's running experiment, as a row
    without a target (at most one runs per agent), then its live bindings matching `where`."""
    running = select(
        Experiment.id, sql_cast(null(), String).label("target"), sql_cast(null(), Integer)
    ).where(Experiment.agent_id == bindparam("agent_id"), Experiment.status == "running")
    live = select(
        sql_cast(null(), Integer), ProviderAgent.target, ProviderAgent.version_number
    ).where(ProviderAgent.agent_id == bindparam("agent_id"), ProviderAgent.live.is_(True), *where)
    return union_all(running, live)


_ROUTING = _routing()
_ROUTING_ON = _routing(ProviderAgent.target == bindparam("target"))


def _history(who: Any) -> Select[Any]:
    return (
        select(
            Conversation.started_at,
            Conversation.summary,
            Conversation.data_collection,
            func.count().over().label("total"),
        )
        .where(who == bindparam("who"), Conversation.agent_id == bindparam("agent_id"))
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(RECENT)
    )


_HISTORY_OF_CALLER = _history(Conversation.caller_hash)
_HISTORY_OF_USER = _history(Conversation.user_id)


class StartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def agent_by_name(self, name: str) -> Agent | None:
        return await self.session.scalar(_AGENT_BY_NAME, {"name": name})

    async def routing(self, agent_id: int, target: str | None = None) -> Routing:
        """The agent's running experiment and its live bindings (on `target` if given)."""
        conn = await self.session.connection()  # Core: no ORM entities to build here
        if target is None:
            rows = await conn.execute(_ROUTING, {"agent_id": agent_id})
        else:
            rows = await conn.execute(_ROUTING_ON, {"agent_id": agent_id, "target": target})
        found = Routing(None, [])
        for experiment, live_on, version in rows.all():
            if live_on is None:
                found = found._replace(experiment_id=experiment)
            else:
                found.live.append((live_on, version))
        found.live.sort()
        return found

    async def binding(self, agent_id: int, target: str, version: int) -> Binding | None:
        """The provider ids of one applied version, with its spec's content hash."""
        query = (
            select(
                ProviderAgent.remote_id,
                ProviderAgent.remote_version_id,
                ProviderAgent.remote_branch_id,
                AgentVersion.content_hash,
            )
            .join(
                AgentVersion,
                (AgentVersion.agent_id == ProviderAgent.agent_id)
                & (AgentVersion.number == ProviderAgent.version_number),
            )
            .where(
                ProviderAgent.agent_id == agent_id,
                ProviderAgent.target == target,
                ProviderAgent.version_number == version,
            )
        )
        row = (await self.session.execute(query)).first()
        return None if row is None else Binding(*row)

    async def agents_for_remote(self, target: str, remote_id: str) -> Sequence[Agent]:
        """The Parley agents applied as this remote agent (one, unless someone shared it)."""
        applied = select(ProviderAgent.agent_id).where(
            ProviderAgent.target == target, ProviderAgent.remote_id == remote_id
        )
        query = select(Agent).options(raiseload(Agent.labels)).where(Agent.id.in_(applied))
        return (await self.session.scalars(query)).all()

    async def version_spec(self, agent_id: int, number: int) -> dict[str, Any] | None:
        return await self.session.scalar(
            select(AgentVersion.spec).where(
                AgentVersion.agent_id == agent_id, AgentVersion.number == number
            )
        )

    async def history(
        self, agent_id: int, *, caller_hash: str | None = None, user_id: str | None = None
    ) -> tuple[int, list[Past]]:
        """How many conversations this caller/user had with the agent, and the latest few: one
        query (the count as a window over every match, taken before the LIMIT), and only the
        columns personalisation reads (never the raw payload)."""
        if caller_hash is not None:
            query, params = _HISTORY_OF_CALLER, {"agent_id": agent_id, "who": caller_hash}
        elif user_id is not None:
            query, params = _HISTORY_OF_USER, {"agent_id": agent_id, "who": user_id}
        else:
            return 0, []
        conn = await self.session.connection()  # Core: no ORM entities to build here
        rows = (await conn.execute(query, params)).all()
        return (int(rows[0].total) if rows else 0), [Past(*row[:3]) for row in rows]

    async def by_token(self, token: str) -> ConversationStart | None:
        return await self.session.scalar(
            select(ConversationStart).where(ConversationStart.token == token)
        )

    async def by_remote(self, target: str, remote_id: str) -> ConversationStart | None:
        return await self.session.scalar(
            select(ConversationStart)
            .where(
                ConversationStart.target == target,
                ConversationStart.remote_conversation_id == remote_id,
            )
            .order_by(ConversationStart.id.desc())
            .limit(1)
        )

    async def by_call_sid(self, call_sid: str) -> ConversationStart | None:
        return await self.session.scalar(
            select(ConversationStart)
            .where(ConversationStart.call_sid == call_sid)
            .order_by(ConversationStart.id.desc())
            .limit(1)
        )

    async def recent(
        self, agent_id: int | None = None, limit: int = 50
    ) -> Sequence[ConversationStart]:
        query = select(ConversationStart).order_by(ConversationStart.id.desc()).limit(limit)
        if agent_id is not None:
            query = query.where(ConversationStart.agent_id == agent_id)
        return (await self.session.scalars(query)).all()

    async def insert_starts(self, rows: Sequence[ConversationStart]) -> None:
        """Insert start records as one multi-row statement (Core: the objects stay transient,
        so a batch that fails can be written again as it is)."""
        if not rows:
            return
        now = utcnow()
        await self.session.execute(insert(_STARTS), [_values(row, now) for row in rows])


_STARTS = cast(Table, ConversationStart.__table__)
_START_COLUMNS = tuple(c.key for c in _STARTS.columns if c.key != "id")


def _values(row: ConversationStart, now: datetime) -> dict[str, Any]:
    """A start's column values, with the model's defaults where the object has none (Core
    applies no ORM defaults to a multi-row insert's missing values)."""
    values = {key: getattr(row, key) for key in _START_COLUMNS}
    values["created_at"] = values["created_at"] or now
    if values["variables"] is None:
        values["variables"] = {}
    return values
