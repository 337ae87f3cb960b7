"""Storing normalised records: idempotent upserts, attribution, secrets, callers, paging."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from parley.agents import service as agents
from parley.agents.spec import AgentSpec
from parley.conversations import callers, service
from parley.conversations.repository import ConversationFilter
from parley.db.engine import session_scope
from parley.errors import InvalidInput, NotFound
from parley.models import Agent, Conversation, ConversationTurn, ProviderAgent
from tests.conversations.conftest import Sessions
from tests.conversations.records import elevenlabs_record, ultravox_record

KEY = b"test-key"


async def _store(sessions: Sessions, *records: object) -> None:
    async with session_scope(sessions) as session:
        for record in records:
            await service.store(session, record, caller_key=KEY)  # type: ignore[arg-type]


async def test_store_is_idempotent_and_replaces_turns(sessions: Sessions) -> None:
    record = elevenlabs_record(1)
    await _store(sessions, record)
    shorter = record.model_copy(update={"turns": record.turns[:2], "summary": "better"})
    await _store(sessions, shorter, shorter)
    async with session_scope(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 1
        assert await session.scalar(select(func.count()).select_from(ConversationTurn)) == 2
        detail = await service.show(session, "conv_0001")
    assert detail.summary == "better"
    assert [t.role for t in detail.turns] == ["agent", "user"]


async def test_callers_are_hashed_and_masked(sessions: Sessions) -> None:
    await _store(
        sessions,
        elevenlabs_record(1, number="+44 20 7946 0958"),
        elevenlabs_record(2, number="0044-20-7946-0958"),
    )
    async with session_scope(sessions) as session:
        rows = (await session.scalars(select(Conversation))).all()
    expected = callers.caller_hash("+442079460958", KEY)
    assert {r.caller_hash for r in rows} == {expected}
    assert {r.caller_masked for r in rows} == {"+44••••••0958"}
    assert all("7946" not in json.dumps(r.raw) for r in rows)


async def test_attribution_and_declared_secrets(sessions: Sessions) -> None:
    spec = AgentSpec.model_validate(
        {
            "name": "seller",
            "system_prompt": "Sell.",
            "llm": {"model": "gpt-4o-mini"},
            "variables": {"crm_token": {"secret": True}, "advisor_name": {}},
        }
    )
    async with session_scope(sessions) as session:
        await agents.apply(session, [agents.SourcedSpec(spec)], author="t")
        agent = await session.scalar(select(Agent))
        assert agent is not None
        for target, remote_id, version_id in [
            ("elevenlabs", "agent_el", "ver_1"),
            ("ultravox", "uv-agent-1", None),
        ]:
            session.add(
                ProviderAgent(
                    agent_id=agent.id,
                    target=target,
                    version_number=1,
                    remote_id=remote_id,
                    remote_version_id=version_id,
                    payload={},
                    payload_hash="x",
                )
            )
    leaked = ultravox_record(1, agentId="uv-agent-1", metadata={})
    leaked.dynamic_variables = {"crm_token": "tok-PLAIN-99", "advisor_name": "Ana"}
    leaked.raw["call"]["templateContext"] = dict(leaked.dynamic_variables)
    leaked.turns[1].text = "my token is tok-PLAIN-99"
    unknown_version = elevenlabs_record(2, agent_id="agent_el", version_id="ver_other")
    hinted = ultravox_record(3, agentId="uv-unknown")  # fixture metadata names a Parley agent
    stamped = ultravox_record(
        4, agentId="uv-unknown", metadata={"parley_agent": "seller", "parley_version": "1"}
    )
    await _store(sessions, leaked, elevenlabs_record(1, agent_id="agent_el", version_id="ver_1"))
    await _store(sessions, unknown_version, hinted, stamped)
    async with session_scope(sessions) as session:
        rows = {r.remote_id: r for r in await session.scalars(select(Conversation))}
        turns = (await session.scalars(select(ConversationTurn))).all()
    assert (rows["call-0001"].agent_id, rows["call-0001"].version_number) == (agent.id, 1)
    assert (rows["conv_0001"].agent_id, rows["conv_0001"].version_number) == (agent.id, 1)
    assert (rows["conv_0002"].agent_id, rows["conv_0002"].version_number) == (agent.id, None)
    assert rows["call-0003"].agent_id is None  # names etf-sales-specialist, unknown here
    assert (rows["call-0004"].agent_id, rows["call-0004"].version_number) == (agent.id, 1)
    assert rows["call-0001"].dynamic_variables == {"advisor_name": "Ana"}
    assert "tok-PLAIN-99" not in json.dumps(rows["call-0001"].raw)
    assert all("tok-PLAIN-99" not in t.text for t in turns)


async def test_filters_and_cursor_pages(sessions: Sessions) -> None:
    records = [
        elevenlabs_record(i, verdict="success" if i % 2 else "failure", booked=i % 3 == 0)
        for i in range(1, 8)
    ]
    await _store(sessions, *records, ultravox_record(1))
    async with session_scope(sessions) as session:

        async def ids(flt: ConversationFilter) -> list[str]:
            page = await service.list_conversations(session, flt, limit=100)
            return [i.remote_id for i in page.items]

        everything = await ids(ConversationFilter())
        assert len(everything) == 8
        assert await ids(ConversationFilter(provider="ultravox")) == ["call-0001"]
        assert await ids(ConversationFilter(successful=False)) == [
            "conv_0006",
            "conv_0004",
            "conv_0002",
        ]
        labels = service.parse_label_filters(["meeting_booked:success"], ["meeting_booked=true"])
        assert await ids(ConversationFilter(labels=labels)) == ["conv_0003"]
        after = datetime.fromtimestamp(records[4].started_at.timestamp(), UTC)
        assert await ids(ConversationFilter(started_after=after, provider="elevenlabs")) == [
            "conv_0007",
            "conv_0006",
            "conv_0005",
        ]

        seen: list[str] = []
        cursor = None
        while True:
            page = await service.list_conversations(session, cursor=cursor, limit=3)
            seen += [i.remote_id for i in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == everything

        with pytest.raises(InvalidInput):
            await service.list_conversations(session, cursor="nonsense!")
        with pytest.raises(InvalidInput):
            service.parse_label_filters(["no-colon"], [])
        with pytest.raises(NotFound):
            await service.show(session, "conv_nope")
