"""Reconciliation against the emulated providers, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from parley.conversations import service
from parley.conversations.repository import ConversationFilter
from parley.db.engine import session_scope
from parley.emulator.state import Emulator
from parley.errors import InvalidInput
from parley.models import Conversation, ConversationTurn, SyncWatermark
from parley.providers.registry import Providers
from tests.conversations.conftest import AGENT, Sessions, Simulator, apply_examples, run_sync

SECRET = "tok-SECRET-4711"
OUTCOME = {
    "p_success": 0.5,
    "data_collection": {"meeting_booked": {"kind": "bernoulli", "p": 0.5}},
    "evaluation": {"meeting_booked": 0.5},
}


async def _stored(sessions: Sessions) -> dict[str, Conversation]:
    async with session_scope(sessions) as session:
        rows = (await session.scalars(select(Conversation))).all()
    return {row.remote_id: row for row in rows}


async def _simulate_both(sim: Simulator, remote: dict[tuple[str, str], str], count: int) -> None:
    await sim.elevenlabs(
        remote[(AGENT, "elevenlabs")],
        count,
        user_id_prefix="advisor-",
        dynamic_variables={"advisor_name": "Ana", "secret__crm_token": SECRET},
        outcome=OUTCOME,
    )
    await sim.ultravox(remote[(AGENT, "ultravox")], count, template_context={"advisor_name": "Ana"})


async def test_sync_backfills_exactly_what_the_providers_hold(
    sessions: Sessions, providers: Providers, emu: Emulator, simulator: Simulator, examples: Path
) -> None:
    remote = await apply_examples(sessions, providers, examples)
    await _simulate_both(simulator, remote, 3)

    report = await run_sync(sessions, providers)
    assert {p.provider: (p.seen, p.new, p.updated) for p in report.providers} == {
        "elevenlabs": (3, 3, 0),
        "ultravox": (3, 3, 0),
    }
    stored = await _stored(sessions)
    el = emu.state("elevenlabs").conversations
    uv = emu.state("ultravox").calls
    assert set(stored) == set(el) | set(uv)
    for cid, truth in el.items():
        row = stored[cid]
        assert (row.provider, row.version_number, row.status) == ("elevenlabs", 1, "done")
        assert row.duration_s == truth.call_duration_secs
        assert row.cost == truth.cost
        assert row.cost_unit == "credits"
        verdict = (truth.analysis or {})["call_successful"]
        assert row.successful is {"success": True, "failure": False}.get(verdict)
        assert row.user_id == truth.user_id
        assert row.user_id.startswith("advisor-")
        assert row.remote_version_id == truth.version_id
        assert set(row.data_collection) >= {"meeting_booked"}
    for call_id, call in uv.items():
        row = stored[call_id]
        assert (row.provider, row.version_number, row.status) == ("ultravox", 1, "done")
        assert row.termination_reason == call.end_reason
        assert row.cost == call.billed_duration_s
        assert row.cost_unit == "billed_seconds"
    assert {r.agent_id for r in stored.values()} != {None}

    async with session_scope(sessions) as session:
        page = await service.list_conversations(session, ConversationFilter(agent=AGENT))
        assert {i.agent for i in page.items} == {AGENT}
        assert len(page.items) == 6
        marks = {m.provider: m.synced_until for m in await session.scalars(select(SyncWatermark))}
        turns = (await session.scalars(select(ConversationTurn))).all()
    assert set(marks) == {"elevenlabs", "ultravox"}
    assert None not in marks.values()
    assert turns
    assert {t.role for t in turns} >= {"agent", "user"}

    # Nothing new: nothing stored, nothing refetched.
    again = await run_sync(sessions, providers)
    assert again.total("new") == 0
    assert again.total("updated") == 0
    assert again.total("unchanged") == again.total("seen")

    # New traffic: only the new conversations are fetched.
    before = set(stored)
    await _simulate_both(simulator, remote, 2)
    third = await run_sync(sessions, providers)
    assert third.total("new") == 4
    assert third.total("updated") == 0
    after = await _stored(sessions)
    assert len(set(after) - before) == 4
    async with session_scope(sessions) as session:
        later = {m.provider: m.synced_until for m in await session.scalars(select(SyncWatermark))}
    assert all(later[p] >= marks[p] for p in marks)


async def test_secrets_are_never_stored(
    sessions: Sessions, providers: Providers, simulator: Simulator, examples: Path
) -> None:
    remote = await apply_examples(sessions, providers, examples)
    await _simulate_both(simulator, remote, 2)
    await run_sync(sessions, providers)
    async with session_scope(sessions) as session:
        rows = (await session.scalars(select(Conversation))).all()
        turns = (await session.scalars(select(ConversationTurn))).all()
    assert len(rows) == 4
    for row in rows:
        text = json.dumps([row.raw, row.dynamic_variables, row.metadata_])
        assert SECRET not in text
        assert "secret__" not in text
        assert "crm_token" not in text
    assert all(SECRET not in json.dumps([t.text, t.tool_calls, t.tool_results]) for t in turns)
    el = [r for r in rows if r.provider == "elevenlabs"]
    assert el[0].dynamic_variables["advisor_name"] == "Ana"


async def test_running_conversations_wait_for_a_later_sync(
    sessions: Sessions, providers: Providers, emu: Emulator, simulator: Simulator, examples: Path
) -> None:
    remote = await apply_examples(sessions, providers, examples)
    [done] = await simulator.elevenlabs(
        remote[(AGENT, "elevenlabs")], 1, dynamic_variables={"advisor_name": "Ana"}
    )
    # Pretend one call is still being analysed: it is listed but must not be stored yet.
    emu.state("elevenlabs").conversations[done].status = "processing"
    first = await run_sync(sessions, providers, provider="elevenlabs")
    assert (first.providers[0].skipped_live, first.providers[0].new) == (1, 0)
    emu.state("elevenlabs").conversations[done].status = "done"
    second = await run_sync(sessions, providers, provider="elevenlabs")
    assert second.providers[0].new == 1
    assert set(await _stored(sessions)) == {done}


async def test_since_overrides_the_watermark(
    sessions: Sessions, providers: Providers, simulator: Simulator, examples: Path
) -> None:
    remote = await apply_examples(sessions, providers, examples)
    await _simulate_both(simulator, remote, 1)
    later = datetime.now(UTC) + timedelta(hours=1)
    nothing = await run_sync(sessions, providers, since=later)
    assert nothing.total("seen") == 0
    everything = await run_sync(sessions, providers, since=later - timedelta(days=1))
    assert everything.total("new") == 2
    with pytest.raises(InvalidInput):
        await run_sync(sessions, providers, since=datetime(2026, 1, 1))
    with pytest.raises(InvalidInput):
        await run_sync(sessions, providers, provider="vapi")
