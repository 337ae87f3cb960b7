"""Known conversations for analytics tests, stored through the conversations service.

Agent `sales` (versions 1 and 2, both providers) has five conversations between 2026-03-01 and
2026-03-03 UTC; one more is out of range and agent `other` has one in range. c5 starts at
00:30+02:00 on 2026-03-02, which is 22:30 on 2026-03-01 in UTC: its day is the 1st.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.conversations import service
from parley.conversations.schemas import ConversationRecord, DataValue, Turn
from parley.db.engine import create_engine, session_factory, session_scope
from parley.models import Agent

SINCE = "2026-03-01T00:00:00Z"
UNTIL = "2026-03-03T00:00:00Z"


def _record(remote_id: str, provider: str, started: str, **fields: Any) -> ConversationRecord:
    data = fields.pop("data", {})
    return ConversationRecord(
        provider=provider,
        remote_id=remote_id,
        normaliser_version=1,
        agent_hint=fields.pop("agent", "sales"),
        started_at=datetime.fromisoformat(started),
        status="done",
        data_collection={k: DataValue(value=v) for k, v in data.items()},
        **fields,
    )


def _agent_turn(tools: list[str], latency: dict[str, float]) -> list[Turn]:
    calls = [{"id": str(i), "name": name} for i, name in enumerate(tools)]
    agent = Turn(role="agent", text="Hello.", tool_calls=calls, latency=latency)
    return [agent, Turn(role="user", text="Hi.")]


RECORDS = [
    _record(
        "c1", "elevenlabs", "2026-03-01T09:00:00+00:00", version_hint=1, duration_s=60,
        cost=10, cost_unit="credits", successful=True, termination_reason="end_call",
        data={"booked": True, "score": 3, "interest": "high"},
        turns=_agent_turn(["book_meeting"], {"llm": 0.3, "tts": 0.1}),
    ),
    _record(
        "c2", "elevenlabs", "2026-03-01T10:00:00+00:00", version_hint=1, duration_s=120,
        cost=20, cost_unit="credits", successful=False, termination_reason="hangup",
        data={"booked": False, "score": 5, "interest": "low"},
        turns=_agent_turn(["lookup", "book_meeting"], {"llm": 0.5, "tts": 0.2}),
    ),
    _record(
        "c3", "elevenlabs", "2026-03-02T23:30:00+00:00", version_hint=2, duration_s=30,
        cost=30, cost_unit="credits", successful=True, termination_reason="end_call",
        data={"booked": True, "interest": "high", "note": None},
        turns=_agent_turn([], {"llm": 0.2}),
    ),
    _record(
        "c4", "ultravox", "2026-03-02T00:10:00+00:00", version_hint=2, duration_s=90,
        cost=90, cost_unit="seconds", termination_reason="hangup",
        turns=_agent_turn(["lookup"], {}),
    ),
    _record("c5", "ultravox", "2026-03-02T00:30:00+02:00"),
    _record("late", "elevenlabs", "2026-03-03T00:00:00+00:00", version_hint=2, duration_s=5),
    _record("theirs", "elevenlabs", "2026-03-01T12:00:00+00:00", agent="other", duration_s=7),
]  # fmt: skip


async def seed(session: AsyncSession) -> None:
    session.add_all(
        [Agent(name="sales", current_version=2), Agent(name="other", current_version=1)]
    )
    await session.flush()
    for record in RECORDS:
        await service.store(session, record.model_copy(deep=True), caller_key=b"k")


async def seed_url(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_scope(session_factory(engine)) as session:
            await seed(session)
    finally:
        await engine.dispose()
