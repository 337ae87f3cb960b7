"""Every query the conversations domain runs. Only this module (with `search`, for the
dialect-specific full-text parts) builds SQL for conversations."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from parley.conversations import search
from parley.models import (
    Agent,
    AgentVersion,
    AuditEvent,
    Conversation,
    ConversationLabel,
    ConversationTurn,
    ProviderAgent,
    RetentionPolicy,
    SyncWatermark,
    WebhookEvent,
)

# Any SELECT over conversations: the filters narrow it whatever its columns are.
AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    agent: str | None = None
    version: int | None = None
    provider: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    successful: bool | None = None
    user_id: str | None = None
    caller_hash: str | None = None
    # (label key, value): `eval.<criterion>` = result, `data.<field>` = value as text.
    labels: tuple[tuple[str, str], ...] = ()
    # Words that must all occur in the transcript or summary (see `search`).
    search: str | None = None


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_remote(self, provider: str, remote_id: str) -> Conversation | None:
        return await self.session.scalar(
            select(Conversation).where(
                Conversation.provider == provider, Conversation.remote_id == remote_id
            )
        )

    async def by_id(self, conversation_id: int, *, with_turns: bool = False) -> Conversation | None:
        query = select(Conversation).where(Conversation.id == conversation_id)
        if with_turns:
            query = query.options(selectinload(Conversation.turns))
        return await self.session.scalar(query)

    async def by_remote_id(self, remote_id: str) -> Conversation | None:
        query = select(Conversation).where(Conversation.remote_id == remote_id)
        return await self.session.scalar(query.options(selectinload(Conversation.turns)))

    async def fingerprints(self, provider: str, remote_ids: Iterable[str]) -> dict[str, str]:
        """Stored fingerprint by remote id, for those of `remote_ids` already stored."""
        wanted = list(remote_ids)
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):  # keep bound parameters under SQLite's limit
            rows = await self.session.execute(
                select(Conversation.remote_id, Conversation.fingerprint).where(
                    Conversation.provider == provider,
                    Conversation.remote_id.in_(wanted[start : start + 500]),
                )
            )
            found.update({str(row[0]): str(row[1]) for row in rows})
        return found

    async def replace_turns(
        self, conversation: Conversation, turns: list[ConversationTurn]
    ) -> None:
        await self.session.execute(
            delete(ConversationTurn).where(ConversationTurn.conversation_id == conversation.id)
        )
        for turn in turns:
            turn.conversation_id = conversation.id
            self.session.add(turn)

    async def replace_labels(self, conversation: Conversation, labels: dict[str, str]) -> None:
        await self.session.execute(
            delete(ConversationLabel).where(ConversationLabel.conversation_id == conversation.id)
        )
        for key, value in labels.items():
            self.session.add(
                ConversationLabel(conversation_id=conversation.id, key=key, value=value)
            )

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _filtered(self, query: AnySelect, flt: ConversationFilter) -> AnySelect:
        """`query` (over conversations, agents outer-joined) narrowed by every filter."""
        if flt.agent is not None:
            query = query.where(Agent.name == flt.agent)
        if flt.version is not None:
            query = query.where(Conversation.version_number == flt.version)
        if flt.provider is not None:
            query = query.where(Conversation.provider == flt.provider)
        if flt.started_after is not None:
            query = query.where(Conversation.started_at >= flt.started_after)
        if flt.started_before is not None:
            query = query.where(Conversation.started_at < flt.started_before)
        if flt.successful is not None:
            query = query.where(Conversation.successful.is_(flt.successful))
        if flt.user_id is not None:
            query = query.where(Conversation.user_id == flt.user_id)
        if flt.caller_hash is not None:
            query = query.where(Conversation.caller_hash == flt.caller_hash)
        for key, value in flt.labels:
            query = query.where(
                exists().where(
                    ConversationLabel.conversation_id == Conversation.id,
                    ConversationLabel.key == key,
                    ConversationLabel.value == value,
                )
            )
        if flt.search is not None:
            query = query.where(search.matches(self.dialect, search.terms(flt.search)))
        return query

    async def find(
        self,
        flt: ConversationFilter,
        *,
        after: tuple[datetime, int] | None = None,
        limit: int | None = None,
        with_turns: bool = False,
    ) -> Sequence[tuple[Conversation, str | None]]:
        """Newest first (started_at, then id), with each conversation's Parley agent name."""
        query = select(Conversation, Agent.name).outerjoin(Agent, Agent.id == Conversation.agent_id)
        query = self._filtered(query, flt)
        if after is not None:
            started, last_id = after
            query = query.where(
                or_(
                    Conversation.started_at < started,
                    and_(Conversation.started_at == started, Conversation.id < last_id),
                )
            )
        query = query.order_by(Conversation.started_at.desc(), Conversation.id.desc())
        if limit is not None:
            query = query.limit(limit)
        if with_turns:
            query = query.options(selectinload(Conversation.turns))
        return [(row[0], row[1]) for row in await self.session.execute(query)]

    async def count(self, flt: ConversationFilter) -> int:
        query = select(func.count(Conversation.id)).select_from(Conversation)
        query = query.outerjoin(Agent, Agent.id == Conversation.agent_id)
        return int(await self.session.scalar(self._filtered(query, flt)) or 0)

    async def label_keys(self, flt: ConversationFilter) -> list[str]:
        """Every label key (`eval.*`, `data.*`) the matching conversations have, sorted."""
        matching = select(Conversation.id).outerjoin(Agent, Agent.id == Conversation.agent_id)
        query = (
            select(ConversationLabel.key)
            .distinct()
            .where(ConversationLabel.conversation_id.in_(self._filtered(matching, flt)))
        )
        return sorted(str(key) for key in await self.session.scalars(query))

    async def reindex(self, conversation: Conversation, texts: Sequence[str]) -> None:
        await search.reindex(self.session, conversation.id, conversation.summary, texts)

    async def delete(self, conversation: Conversation) -> int:
        """Remove the conversation (turns and labels cascade; SQLite's search row goes by
        trigger) and its raw webhook events; the number of events removed."""
        events = await self.session.execute(
            delete(WebhookEvent).where(
                WebhookEvent.provider == conversation.provider,
                WebhookEvent.remote_id == conversation.remote_id,
            )
        )
        await self.session.execute(delete(Conversation).where(Conversation.id == conversation.id))
        return int(getattr(events, "rowcount", 0) or 0)

    async def older_than(
        self,
        before: datetime,
        *,
        agent_ids: Collection[int],
        others: bool,
        audio: bool = False,
        limit: int = 500,
    ) -> Sequence[Conversation]:
        """Conversations started before `before` whose agent is one of `agent_ids` or, with
        `others`, any other (unattributed included); with `audio`, only those with a recording."""
        query = select(Conversation).where(Conversation.started_at < before)
        if others:
            if agent_ids:
                query = query.where(
                    or_(Conversation.agent_id.is_(None), Conversation.agent_id.not_in(agent_ids))
                )
        else:
            query = query.where(Conversation.agent_id.in_(agent_ids))
        if audio:
            query = query.where(Conversation.has_audio.is_(True))
        query = query.order_by(Conversation.started_at, Conversation.id).limit(limit)
        return (await self.session.scalars(query)).all()

    async def policies(self) -> Sequence[RetentionPolicy]:
        query = select(RetentionPolicy).order_by(RetentionPolicy.agent)
        return (await self.session.scalars(query)).all()

    async def policy(self, agent: str) -> RetentionPolicy | None:
        return await self.session.get(RetentionPolicy, agent)

    async def agent_ids(self, names: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(names))
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Agent.name, Agent.id).where(Agent.name.in_(wanted))
        )
        return {str(row[0]): int(row[1]) for row in rows}

    async def remove(self, obj: Any) -> None:
        await self.session.delete(obj)

    def audit(self, actor: str, action: str, target: str, **details: Any) -> None:
        self.session.add(AuditEvent(actor=actor, action=action, target=target, details=details))

    async def agent_name(self, agent_id: int | None) -> str | None:
        if agent_id is None:
            return None
        return await self.session.scalar(select(Agent.name).where(Agent.id == agent_id))

    async def bindings(self, target: str, remote_ids: Iterable[str]) -> Sequence[ProviderAgent]:
        """Every applied Parley version whose remote agent is one of `remote_ids` on `target`."""
        wanted = sorted(set(remote_ids))
        if not wanted:
            return []
        query = select(ProviderAgent).where(
            ProviderAgent.target == target, ProviderAgent.remote_id.in_(wanted)
        )
        return (await self.session.scalars(query)).all()

    async def agent_by_name(self, name: str) -> Agent | None:
        return await self.session.scalar(select(Agent).where(Agent.name == name))

    async def version_spec(self, agent_id: int, number: int) -> dict[str, Any] | None:
        return await self.session.scalar(
            select(AgentVersion.spec).where(
                AgentVersion.agent_id == agent_id, AgentVersion.number == number
            )
        )

    async def watermark(self, provider: str) -> SyncWatermark | None:
        return await self.session.get(SyncWatermark, provider)

    def add(self, obj: Any) -> None:
        self.session.add(obj)

    async def flush(self) -> None:
        await self.session.flush()
