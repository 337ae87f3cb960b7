"""Every query the agents domain runs. Only this module builds SQL for agents and versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Agent, AgentLabel, AgentVersion, AuditEvent, ProviderAgent

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AgentFilter:
    tag: str | None = None
    provider: str | None = None
    search: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    include_archived: bool = False


class AgentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_name(self, name: str) -> Agent | None:
        return await self.session.scalar(select(Agent).where(Agent.name == name))

    async def by_names(self, names: Iterable[str]) -> dict[str, Agent]:
        wanted = list(names)
        if not wanted:
            return {}
        found: dict[str, Agent] = {}
        for chunk in _chunks(wanted, 500):  # keep bound parameters under SQLite's limit
            rows = await self.session.scalars(select(Agent).where(Agent.name.in_(chunk)))
            found.update({agent.name: agent for agent in rows})
        return found

    async def current_versions(self, agents: Iterable[Agent]) -> dict[int, AgentVersion]:
        """The current version of each agent, in one query per 500 agents."""
        wanted = [(a.id, a.current_version) for a in agents]
        out: dict[int, AgentVersion] = {}
        for chunk in _chunks(wanted, 250):
            condition = or_(
                *(and_(AgentVersion.agent_id == i, AgentVersion.number == n) for i, n in chunk)
            )
            for version in await self.session.scalars(select(AgentVersion).where(condition)):
                out[version.agent_id] = version
        return out

    async def version(self, agent_id: int, number: int) -> AgentVersion | None:
        return await self.session.scalar(
            select(AgentVersion).where(
                AgentVersion.agent_id == agent_id, AgentVersion.number == number
            )
        )

    async def versions(
        self, agent_id: int, *, before: int | None = None, limit: int | None = None
    ) -> Sequence[AgentVersion]:
        query = select(AgentVersion).where(AgentVersion.agent_id == agent_id)
        if before is not None:
            query = query.where(AgentVersion.number < before)
        query = query.order_by(AgentVersion.number.desc())
        if limit is not None:
            query = query.limit(limit)
        return (await self.session.scalars(query)).all()

    async def find(
        self, flt: AgentFilter, *, after: str | None = None, limit: int | None = None
    ) -> Sequence[Agent]:
        query = select(Agent)
        if not flt.include_archived:
            query = query.where(Agent.archived_at.is_(None))
        labels: list[tuple[str, str]] = list(flt.metadata)
        if flt.tag:
            labels.append(("tag", flt.tag))
        if flt.provider:
            labels.append(("target", flt.provider))
        for key, value in labels:
            query = query.where(
                exists().where(
                    AgentLabel.agent_id == Agent.id,
                    AgentLabel.key == key,
                    AgentLabel.value == value,
                )
            )
        if flt.search:
            term = flt.search.lower()  # matched literally: % and _ are escaped
            query = query.where(
                or_(
                    func.lower(Agent.name).contains(term, autoescape=True),
                    func.lower(Agent.description).contains(term, autoescape=True),
                )
            )
        if after is not None:
            query = query.where(Agent.name > after)
        query = query.order_by(Agent.name)
        if limit is not None:
            query = query.limit(limit)
        return (await self.session.scalars(query)).all()

    async def bindings(self, agent_ids: Iterable[int], target: str) -> list[ProviderAgent]:
        """Every applied version of these agents on `target`, oldest first."""
        ids = list(agent_ids)
        if not ids:
            return []
        rows: list[ProviderAgent] = []
        for chunk in _chunks(ids, 500):
            query = (
                select(ProviderAgent)
                .where(ProviderAgent.agent_id.in_(chunk), ProviderAgent.target == target)
                .order_by(ProviderAgent.agent_id, ProviderAgent.version_number)
            )
            rows.extend(await self.session.scalars(query))
        return rows

    async def all_bindings(self, target: str) -> Sequence[ProviderAgent]:
        query = select(ProviderAgent).where(ProviderAgent.target == target)
        return (await self.session.scalars(query)).all()

    def add(self, obj: Any) -> None:
        self.session.add(obj)

    async def flush(self) -> None:
        await self.session.flush()

    def audit(self, actor: str, action: str, target: str, **details: Any) -> None:
        self.session.add(AuditEvent(actor=actor, action=action, target=target, details=details))


def _chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
