"""The queries of the conversation-start flow; only this module builds SQL for it.

Everything the inbound initiation webhook needs is a handful of indexed lookups: the bindings
of a remote agent, the live bindings of an agent, the version's spec (cached by the service:
versions are immutable), the unit's recent conversations, and one insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from parley.models import Agent, AgentVersion, Conversation, ConversationStart, ProviderAgent

RECENT = 5


class Binding(NamedTuple):
    remote_id: str
    remote_version_id: str | None
    remote_branch_id: str | None
    content_hash: str


class Past(NamedTuple):
    started_at: datetime
    summary: str | None
    data_collection: dict[str, Any] | None


class StartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def agent_by_name(self, name: str) -> Agent | None:
        query = select(Agent).options(raiseload(Agent.labels)).where(Agent.name == name)
        return await self.session.scalar(query)

    async def live_targets(self, agent_id: int, target: str | None = None) -> list[tuple[str, int]]:
        """(target, version number) of each live binding (no payloads: this is the hot path)."""
        query = select(ProviderAgent.target, ProviderAgent.version_number).where(
            ProviderAgent.agent_id == agent_id, ProviderAgent.live.is_(True)
        )
        if target is not None:
            query = query.where(ProviderAgent.target == target)
        rows = await self.session.execute(query.order_by(ProviderAgent.target))
        return [(t, v) for t, v in rows.all()]

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
    ) -> tuple[int, Sequence[Conversation]]:
        """How many conversations this caller/user had with the agent, and the latest few."""
        if caller_hash is not None:
            where = Conversation.caller_hash == caller_hash
        elif user_id is not None:
            where = Conversation.user_id == user_id
        else:
            return 0, []
        scope = (where, Conversation.agent_id == agent_id)
        count = await self.session.scalar(
            select(func.count()).select_from(Conversation).where(*scope)
        )
        recent = (
            await self.session.scalars(
                select(Conversation)
                .where(*scope)
                .order_by(Conversation.started_at.desc(), Conversation.id.desc())
                .limit(5)
            )
        ).all()
        return int(count or 0), recent

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

    def add(self, obj: Any) -> None:
        self.session.add(obj)

    async def flush(self) -> None:
        await self.session.flush()
