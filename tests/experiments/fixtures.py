"""An agent with two applied versions and conversations attributed to experiment arms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.conversations import service as conversations
from parley.conversations.schemas import ConversationRecord, Criterion, DataValue
from parley.experiments import service
from parley.experiments.outcomes import observe
from parley.experiments.schemas import ExperimentView
from parley.experiments.spec import check
from parley.models import Agent, AgentVersion, Conversation, ProviderAgent

START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def agent_with_versions(session: AsyncSession, name: str = "sales") -> Agent:
    agent = Agent(name=name, current_version=2)
    session.add(agent)
    await session.flush()
    for number in (1, 2):
        session.add(
            AgentVersion(
                agent_id=agent.id,
                number=number,
                content_hash=f"sha256:{number}",
                spec={
                    "name": name,
                    "system_prompt": f"You are version {number}.",
                    "llm": {"model": "gpt-4o-mini"},
                },
            )
        )
        session.add(
            ProviderAgent(
                agent_id=agent.id,
                target="elevenlabs",
                version_number=number,
                remote_id="agent_1",
                remote_version_id=f"ver_{number}",
                payload={},
                payload_hash="x",
                live=number == 2,
            )
        )
    await session.flush()
    return agent


def spec(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "opener",
        "agent": "sales",
        "unit": "caller",
        "metric": "data.meeting_booked",
        "arms": [{"name": "control", "version": 1}, {"name": "warmer", "version": 2}],
        "guardrails": [{"metric": "duration", "margin": 30}],
        "maturity_minutes": 0,
    }
    data.update(changes)
    return data


async def running(session: AsyncSession, **changes: Any) -> ExperimentView:
    await service.create(session, check(spec(**changes), source="test"))
    return await service.start(session, changes.get("name", "opener"))


async def conversation(
    session: AsyncSession,
    remote_id: str,
    arm: str,
    *,
    booked: bool | None,
    duration: float = 60.0,
    experiment: str = "opener",
    started: datetime | None = None,
    successful: bool | None = None,
    through_store: bool = False,
) -> Conversation:
    """A finished conversation of an arm, folded into the experiment as storing it would.

    `through_store` goes through the conversations service (the real path, slower); otherwise
    the row is written directly, which keeps tests with hundreds of conversations quick."""
    data = {} if booked is None else {"meeting_booked": {"value": booked}}
    when = started or START + timedelta(minutes=1)
    if through_store:
        record = ConversationRecord(
            provider="elevenlabs",
            remote_id=remote_id,
            normaliser_version=1,
            started_at=when,
            status="done",
            duration_s=duration,
            successful=successful,
            evaluation={"polite": Criterion(result="success")},
            data_collection={k: DataValue(**v) for k, v in data.items()},
        )
        row, _ = await conversations.store(session, record, caller_key=b"k")
    else:
        row = await session.scalar(
            select(Conversation).where(Conversation.remote_id == remote_id)
        ) or Conversation(provider="elevenlabs", remote_id=remote_id, normaliser_version=1)
        row.started_at, row.status, row.duration_s = when, "done", duration
        row.successful, row.data_collection = successful, data
        session.add(row)
        await session.flush()
    row.experiment, row.arm = experiment, arm
    await observe(session, row)
    return row
