"""Rollups stay equal to the raw computation through inserts, updates and deletes, on both
databases, whichever code path writes (service, deletion on request, plain SQL)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.analytics import rollups, service
from parley.analytics.schemas import GroupBy
from parley.conversations import deletion
from parley.conversations import service as conversations
from parley.conversations.schemas import ConversationRecord, DataValue, Turn
from parley.db.engine import session_scope
from parley.models import Agent, AnalyticsDirty, AnalyticsRollup, Conversation

Sessions = async_sessionmaker[AsyncSession]
START = datetime(2026, 3, 1, tzinfo=UTC)
GROUP_BYS: list[GroupBy | None] = [None, "version", "day", "provider"]
RANGES = [
    (START, START + timedelta(days=7)),  # whole days: rollups only
    (START + timedelta(hours=13), START + timedelta(days=4, hours=7, minutes=30)),  # edges raw
    (START + timedelta(hours=2), START + timedelta(hours=20)),  # inside one day: raw only
    # Partial days whose other part is empty (nothing before since, nothing after until):
    # their rollups are used, as for a range ending now.
    (START - timedelta(hours=6), START + timedelta(days=6, hours=12)),
    (None, None),  # unbounded: every rollup
]


def _record(rng: random.Random, remote_id: str, agent: str = "sales") -> ConversationRecord:
    tools = rng.sample(["lookup", "book_meeting", "transfer"], rng.randint(0, 2))
    latency = {"llm": rng.randint(1, 9) / 10, "tts": rng.randint(1, 4) / 10}
    turns = [
        Turn(role="agent", text="Hello.", tool_calls=[{"name": t} for t in tools], latency=latency),
        Turn(role="user", text="Hi."),
    ]
    data: dict[str, Any] = {
        "booked": rng.choice([True, False]),
        "interest": rng.choice(["high", "low", "none"]),
    }
    if rng.random() < 0.7:
        data["score"] = rng.randint(1, 5)
    return ConversationRecord(
        provider=rng.choice(["elevenlabs", "ultravox"]),
        remote_id=remote_id,
        normaliser_version=1,
        agent_hint=agent,
        version_hint=rng.choice([1, 2, None]),
        started_at=START + timedelta(minutes=rng.randint(0, 6 * 24 * 60)),
        status="done",
        duration_s=rng.choice([None, float(rng.randint(5, 600))]),
        cost=rng.choice([None, float(rng.randint(1, 100))]),
        cost_unit=rng.choice(["credits", "seconds"]),
        successful=rng.choice([True, False, None]),
        termination_reason=rng.choice(["end_call", "hangup", None]),
        data_collection={k: DataValue(value=v) for k, v in data.items()},
        turns=turns,
    )


async def _store(sessions: Sessions, records: list[ConversationRecord]) -> None:
    async with session_scope(sessions) as session:
        for record in records:
            await conversations.store(session, record.model_copy(deep=True), caller_key=b"k")


async def _agree(sessions: Sessions, records: dict[str, ConversationRecord]) -> None:
    """Every grouping and range: rollup-backed report == raw report; counts match records."""
    for since, until in RANGES:
        for group_by in GROUP_BYS:
            async with session_scope(sessions) as session:
                kw: dict[str, Any] = {"agent": "sales", "since": since, "until": until}
                fast = await service.summarise(session, group_by=group_by, **kw)
                raw = await service.summarise(session, group_by=group_by, use_rollups=False, **kw)
            assert fast.model_dump() == raw.model_dump(), (since, until, group_by)
    async with session_scope(sessions) as session:
        report = await service.summarise(
            session, agent="sales", since=START, until=START + timedelta(days=7), group_by="day"
        )
        sales = await session.scalar(select(Agent.id).where(Agent.name == "sales"))
        dirty = await session.scalar(
            select(func.count()).select_from(AnalyticsDirty).where(AnalyticsDirty.agent_id == sales)
        )
    expected: dict[str, int] = {}
    for record in records.values():
        if record.agent_hint == "sales":
            day = record.started_at.date().isoformat()
            expected[day] = expected.get(day, 0) + 1
    assert {g.key: g.conversations for g in report.groups} == expected
    assert dirty == 0  # the queries refreshed every day they read


@pytest.fixture
async def agents(sessions: Sessions) -> Sessions:
    async with session_scope(sessions) as session:
        session.add_all(
            [Agent(name="sales", current_version=2), Agent(name="other", current_version=1)]
        )
    return sessions


async def test_rollups_follow_inserts_updates_and_deletes(agents: Sessions, tmp_path: Path) -> None:
    sessions = agents
    rng = random.Random(20261122)
    records = {f"c{i}": _record(rng, f"c{i}") for i in range(70)}
    records |= {f"o{i}": _record(rng, f"o{i}", agent="other") for i in range(10)}
    await _store(sessions, list(records.values()))
    await _agree(sessions, records)
    async with session_scope(sessions) as session:
        assert (await session.scalar(select(func.count()).select_from(AnalyticsRollup)) or 0) > 0

    # Updates: a later webhook knows more; some conversations move to another day or version.
    changed = []
    for remote_id in rng.sample(sorted(r for r in records if r.startswith("c")), 15):
        fresh = _record(rng, remote_id)
        fresh.provider = records[remote_id].provider  # the same conversation, known better
        records[remote_id] = fresh
        changed.append(fresh)
    await _store(sessions, changed)
    await _agree(sessions, records)

    # Deletion on request, then a plain SQL delete and update no service knows about.
    async with session_scope(sessions) as session:
        for remote_id in ("c1", "c2", "c3"):
            await deletion.delete_conversation(session, remote_id, data_dir=tmp_path, actor="test")
            del records[remote_id]
    async with session_scope(sessions) as session:
        gone = START + timedelta(days=2)
        await session.execute(
            delete(Conversation).where(
                Conversation.started_at >= gone, Conversation.started_at < gone + timedelta(days=1)
            )
        )
        await session.execute(
            update(Conversation).where(Conversation.remote_id == "c10").values(successful=None)
        )
    records = {
        k: r for k, r in records.items() if not gone <= r.started_at < gone + timedelta(days=1)
    }
    if "c10" in records:
        records["c10"].successful = None
    await _agree(sessions, records)

    # More conversations arrive.
    new = {f"n{i}": _record(rng, f"n{i}") for i in range(20)}
    records |= new
    await _store(sessions, list(new.values()))
    await _agree(sessions, records)


async def test_refresh_all_clears_every_dirty_day(agents: Sessions) -> None:
    sessions = agents
    rng = random.Random(3)
    await _store(
        sessions, [_record(rng, f"c{i}", rng.choice(["sales", "other"])) for i in range(30)]
    )
    async with session_scope(sessions) as session:
        assert (await session.scalar(select(func.count()).select_from(AnalyticsDirty)) or 0) > 0
        assert await rollups.refresh_all(session) > 0
    async with session_scope(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(AnalyticsDirty)) == 0
        total = await session.scalar(select(func.sum(AnalyticsRollup.conversations)))
        assert total == 30
        assert await rollups.refresh_all(session) == 0
