"""Every query the resources domain runs: provider_resources rows and the agents using them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Agent, AgentVersion, AuditEvent, ProviderAgent, ProviderResource


class ResourceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rows(self, target: str | None = None) -> Sequence[ProviderResource]:
        query = select(ProviderResource).order_by(
            ProviderResource.kind, ProviderResource.name, ProviderResource.target
        )
        if target is not None:
            query = query.where(ProviderResource.target == target)
        return (await self.session.scalars(query)).all()

    async def row(self, kind: str, name: str, target: str) -> ProviderResource | None:
        return await self.session.scalar(
            select(ProviderResource).where(
                ProviderResource.kind == kind,
                ProviderResource.name == name,
                ProviderResource.target == target,
            )
        )

    async def live_agents(self, target: str) -> list[tuple[str, int, dict[str, Any]]]:
        """(agent name, live version, its spec) for every agent live on `target`."""
        query = (
            select(Agent.name, ProviderAgent.version_number, AgentVersion.spec)
            .join(Agent, Agent.id == ProviderAgent.agent_id)
            .join(
                AgentVersion,
                and_(
                    AgentVersion.agent_id == ProviderAgent.agent_id,
                    AgentVersion.number == ProviderAgent.version_number,
                ),
            )
            .where(ProviderAgent.target == target, ProviderAgent.live.is_(True))
            .order_by(Agent.name)
        )
        return [
            (name, number, dict(spec)) for name, number, spec in await self.session.execute(query)
        ]

    async def live_payloads(self, target: str) -> list[dict[str, Any]]:
        """What Parley last wrote for every agent live on `target` (holds the remote ids)."""
        query = select(ProviderAgent.payload).where(
            ProviderAgent.target == target, ProviderAgent.live.is_(True)
        )
        return [dict(payload) for payload in await self.session.scalars(query)]

    def add(self, row: ProviderResource) -> None:
        self.session.add(row)

    async def delete(self, row: ProviderResource) -> None:
        await self.session.delete(row)

    async def flush(self) -> None:
        await self.session.flush()

    def audit(self, actor: str, action: str, target: str, **details: Any) -> None:
        self.session.add(AuditEvent(actor=actor, action=action, target=target, details=details))
