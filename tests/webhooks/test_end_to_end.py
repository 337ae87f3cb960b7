"""The emulator's real webhook deliveries into Parley's app, processed by jobs (both databases)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from parley.db.engine import session_scope
from parley.emulator.faults import FaultRule
from parley.models import Conversation, ConversationTurn, Job, WebhookEvent
from parley.webhooks.tasks import audio_path
from tests.conversations.conftest import AGENT, Simulator, apply_examples
from tests.webhooks.conftest import Stack

SECRET = "tok-SECRET-4711"


async def _rows(stack: Stack, model: type) -> list:  # type: ignore[type-arg]
    async with session_scope(stack.parley.state.sessions) as session:
        return list((await session.scalars(select(model))).all())


async def test_both_providers_end_to_end(stack: Stack, examples: Path, tmp_path: Path) -> None:
    remote = await apply_examples(stack.parley.state.sessions, stack.providers, examples)
    sim = Simulator(stack.emulator)
    async with sim.client:
        el_ids = await sim.elevenlabs(
            remote[(AGENT, "elevenlabs")], 2,
            dynamic_variables={"advisor_name": "Ana", "secret__crm_token": SECRET},
        )  # fmt: skip
        uv_ids = await sim.ultravox(
            remote[(AGENT, "ultravox")], 2, template_context={"advisor_name": "Ana"}
        )
    assert await stack.deliver() > 0
    deliveries = stack.emu.outbox.deliveries
    assert deliveries
    assert all(d.status == "delivered" for d in deliveries), [
        (d.event, [a.status_code for a in d.attempts]) for d in deliveries
    ]
    events = await _rows(stack, WebhookEvent)
    assert {(e.provider, e.event_type) for e in events} >= {
        ("elevenlabs", "post_call_transcription"),
        ("elevenlabs", "post_call_audio"),
        ("ultravox", "call.started"),
        ("ultravox", "call.ended"),
        ("ultravox", "call.billed"),
    }
    assert await _rows(stack, Conversation) == []  # nothing processed before the jobs run
    report = await stack.runner.run_once()
    assert (report.retried, report.parked) == (0, 0)
    stored = {c.remote_id: c for c in await _rows(stack, Conversation)}
    assert set(stored) == set(el_ids) | set(uv_ids)
    for cid in el_ids:
        row = stored[cid]
        assert (row.provider, row.status, row.version_number) == ("elevenlabs", "done", 1)
        assert row.has_audio
        assert audio_path(tmp_path, "elevenlabs", cid).stat().st_size > 0
        assert SECRET not in json.dumps(row.raw)
        assert "secret__crm_token" not in row.dynamic_variables
    for cid in uv_ids:
        assert (stored[cid].provider, stored[cid].status) == ("ultravox", "done")
    turns = await _rows(stack, ConversationTurn)
    assert {t.conversation_id for t in turns} == {c.id for c in stored.values()}
    events = await _rows(stack, WebhookEvent)
    assert {e.status for e in events if e.event_type in ("call.started", "call.joined")} == {
        "recorded"
    }
    processed = [e for e in events if e.status == "processed"]
    assert processed
    assert all(e.scrubbed and SECRET not in e.body for e in processed)
    assert all('full_audio"' not in e.body for e in processed)


async def test_duplicate_delivery_is_stored_and_processed_once(
    stack: Stack, examples: Path
) -> None:
    remote = await apply_examples(stack.parley.state.sessions, stack.providers, examples)
    stack.emu.faults.add(FaultRule(kind="duplicate_webhook", path="*"))
    sim = Simulator(stack.emulator)
    async with sim.client:
        await sim.elevenlabs(remote[(AGENT, "elevenlabs")], 1)
        await sim.ultravox(remote[(AGENT, "ultravox")], 1, template_context={"advisor_name": "Ana"})
    await stack.deliver()
    copies = [d for d in stack.emu.outbox.deliveries if d.duplicate_of]
    assert copies
    assert all(d.status == "delivered" for d in stack.emu.outbox.deliveries)
    async with session_scope(stack.parley.state.sessions) as session:
        events = await session.scalar(select(func.count()).select_from(WebhookEvent))
        jobs = await session.scalar(select(func.count()).select_from(Job))
    originals = len(stack.emu.outbox.deliveries) - len(copies)
    assert events == originals
    assert jobs == 2 + 2  # transcription + audio; call.ended + call.billed
    report = await stack.runner.run_once()
    assert report.done == 4 + 2  # + one followups.meeting job per conversation (deduplicated)
    assert len(await _rows(stack, Conversation)) == 2
    assert (await stack.runner.run_once()).done == 0


async def test_ultravox_without_an_api_key_stores_the_call_without_turns(
    db_url: str, tmp_path: Path, examples: Path
) -> None:
    from tests.webhooks.conftest import make_stack

    async for stack in make_stack(db_url, tmp_path):
        remote = await apply_examples(stack.parley.state.sessions, stack.providers, examples)
        stack.runner.context.settings.ultravox_api_key = None
        sim = Simulator(stack.emulator)
        async with sim.client:
            (call_id,) = await sim.ultravox(
                remote[(AGENT, "ultravox")], 1, template_context={"advisor_name": "Ana"}
            )
        await stack.deliver()
        await stack.runner.run_once()
        (row,) = await _rows(stack, Conversation)
        assert (row.remote_id, row.status) == (call_id, "done")
        assert await _rows(stack, ConversationTurn) == []
