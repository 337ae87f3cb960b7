"""The queries of the conversation-start flow; only this module builds SQL for it.

Everything the inbound initiation webhook needs is a handful of indexed lookups: the bindings
of a remote agent, the live bindings of an agent, the version's spec (cached by the service:
versions are immutable), the unit's recent conversations, and one insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Agent, AgentVersion, Conversation, ConversationStart, ProviderAgent


class StartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def agent_by_name(self, name: str) -> Agent | None:
        return await self.session.scalar(select(Agent).where(Agent.name == name))

    async def agent(self, agent_id: int) -> Agent | None:
        return await self.session.get(Agent, agent_id)

    async def live_bindings(
        self, agent_id: int, target: str | None = None
    ) -> Sequence[ProviderAgent]:
        query = select(ProviderAgent).where(
            ProviderAgent.agent_id == agent_id, ProviderAgent.live.is_(True)
        )
        if target is not None:
            query = query.where(ProviderAgent.target == target)
        return (await self.session.scalars(query.order_by(ProviderAgent.target))).all()

    async def binding(self, agent_id: int, target: str, version: int) -> ProviderAgent | None:
        return await self.session.scalar(
            select(ProviderAgent).where(
                ProviderAgent.agent_id == agent_id,
                ProviderAgent.target == target,
                ProviderAgent.version_number == version,
            )
        )

    async def agent_ids_for_remote(self, target: str, remote_id: str) -> set[int]:
        query = select(ProviderAgent.agent_id).where(
            ProviderAgent.target == target, ProviderAgent.remote_id == remote_id
        )
        return set((await self.session.scalars(query)).all())

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
