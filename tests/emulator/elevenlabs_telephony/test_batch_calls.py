"""Batch calling through the official SDK: submit, the scheduler on the emulator clock (statuses,
concurrency limits, scheduled start), conversations with each recipient's variables, retry,
cancel, workspace paging, delete and export, and persistence of batches."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from elevenlabs import BatchCallDetailedResponse, BatchCallResponse, WorkspaceBatchCallsResponse
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import ConversationInitiationClientDataRequestInput, OutboundCallRecipient

from parley.emulator.state import Emulator
from tests.emulator.elevenlabs_periphery.conftest import Wire
from tests.emulator.elevenlabs_telephony.conftest import (
    Advance,
    AnsweringReceiver,
    events,
    make_agent,
)

ACTIVE = {"dispatched", "initiated", "in_progress"}


def recipients(*numbers: str) -> list[OutboundCallRecipient]:
    return [
        OutboundCallRecipient(
            phone_number=number,
            conversation_initiation_client_data=ConversationInitiationClientDataRequestInput(
                dynamic_variables={"name": f"Guest {i}"}
            ),
        )
        for i, number in enumerate(numbers)
    ]


async def test_batch_runs_with_a_concurrency_limit(
    sdk: AsyncElevenLabs,
    wire: Wire,
    agent_id: str,
    twilio_number: str,
    hook_secret: str,
    receiver: AnsweringReceiver,
    advance: Advance,
) -> None:
    calls = sdk.conversational_ai.batch_calls
    numbers = ["+15105550101", "+15105550102", "+15105550002", "+15105550004", "+15105550105"]
    batch = await calls.create(
        call_name="Renewals",
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        recipients=recipients(*numbers),
        target_concurrency_limit=2,
    )
    wire.conforms(BatchCallResponse)
    assert (batch.status, batch.phone_provider, batch.agent_name) == ("pending", "twilio", "Caller")
    assert (batch.total_calls_scheduled, batch.total_calls_dispatched) == (5, 0)

    await advance(0)
    started = await calls.get(batch.id)
    wire.conforms(BatchCallDetailedResponse)
    assert started.status == "in_progress"
    statuses = [r.status for r in started.recipients]
    # "dispatched" lasts one emulated second, and real time moves the emulator's clock too.
    assert set(statuses[:2]) <= {"dispatched", "initiated"}
    assert statuses[2:] == ["pending"] * 3
    await advance(1)
    placed = await calls.get(batch.id)
    assert [r.status for r in placed.recipients[:2]] == ["initiated", "initiated"]
    assert all(r.conversation_id for r in placed.recipients[:2])

    seen: set[str] = set()
    for _ in range(200):
        await advance(15)
        current = await calls.get(batch.id)
        seen |= {r.status for r in current.recipients}
        assert sum(r.status in ACTIVE for r in current.recipients) <= 2
        if current.status == "completed":
            break
    assert {"in_progress", "completed"} <= seen
    final = await calls.get(batch.id)
    wire.conforms(BatchCallDetailedResponse)
    statuses = [r.status for r in final.recipients]
    assert statuses == ["completed", "completed", "failed", "voicemail", "completed"]
    assert (final.total_calls_dispatched, final.total_calls_finished) == (5, 5)

    conversations = sdk.conversational_ai.conversations
    for i, r in enumerate(final.recipients):
        assert r.conversation_id is not None
        c = await conversations.get(r.conversation_id)
        assert c.conversation_initiation_client_data is not None
        assert c.conversation_initiation_client_data.dynamic_variables["name"] == f"Guest {i}"
        assert c.metadata.batch_call is not None
        assert c.metadata.batch_call.batch_call_id == batch.id
        assert c.metadata.batch_call.batch_call_recipient_id == r.id
        if r.status == "completed":
            assert c.transcript[0].message == f"Hello Guest {i}, this is Parley calling."
    kinds = sorted(e["type"] for e in events(sdk, receiver, hook_secret))
    assert kinds == ["call_initiation_failure"] + ["post_call_transcription"] * 4

    with pytest.raises(ApiError):
        await calls.cancel(batch.id)  # a completed batch cannot be cancelled
    retried = await calls.retry(batch.id)
    wire.conforms(BatchCallResponse)
    assert (retried.status, retried.retry_count) == ("in_progress", 1)
    again = await calls.get(batch.id)
    assert [r.status for r in again.recipients][2:4] == ["pending", "pending"]
    await advance(3700)
    await advance(3700)
    after = await calls.get(batch.id)
    assert after.status == "completed"
    assert [r.status for r in after.recipients][2:4] == ["failed", "voicemail"]
    assert after.total_calls_dispatched == 7


async def test_agent_concurrency_limit_and_schedule(
    sdk: AsyncElevenLabs, twilio_number: str, advance: Advance, emu: Emulator
) -> None:
    agent_id = await make_agent(sdk, call_limits={"agent_concurrency_limit": 1})
    calls = sdk.conversational_ai.batch_calls
    start = emu.clock.now_secs() + 600
    batch = await calls.create(
        call_name="Later",
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        recipients=recipients("+15105550101", "+15105550102", "+15105550103"),
        scheduled_time_unix=start,
        timezone="Europe/Paris",
    )
    assert batch.scheduled_time_unix == start
    await advance(300)
    assert (await calls.get(batch.id)).status == "pending"
    await advance(300)
    running = await calls.get(batch.id)
    assert running.status == "in_progress"
    first, *rest = [r.status for r in running.recipients]
    # A recipient stays "dispatched" for one emulated second; real time also moves the
    # emulator's clock, so on a busy machine the first call may already be "initiated".
    assert first in ("dispatched", "initiated")
    assert rest == ["pending", "pending"]
    for _ in range(100):
        await advance(30)
        current = await calls.get(batch.id)
        assert sum(r.status in ACTIVE for r in current.recipients) <= 1
        if current.status == "completed":
            break
    assert current.status == "completed"
    times = []
    for r in current.recipients:
        assert r.conversation_id is not None
        c = await sdk.conversational_ai.conversations.get(r.conversation_id)
        times.append((c.metadata.start_time_unix_secs, c.metadata.call_duration_secs))
    # One call at a time: each starts after the previous one ended.
    for (first_start, first_length), (next_start, _) in itertools.pairwise(times):
        assert next_start >= first_start + first_length


async def test_cancel_stops_calls_not_yet_placed(
    sdk: AsyncElevenLabs, agent_id: str, twilio_number: str, advance: Advance
) -> None:
    calls = sdk.conversational_ai.batch_calls
    batch = await calls.create(
        call_name="Stop",
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        recipients=recipients("+15105550101", "+15105550102", "+15105550103"),
        target_concurrency_limit=1,
    )
    await advance(0)
    await advance(1)
    cancelled = await calls.cancel(batch.id)
    assert cancelled.status == "cancelled"
    await advance(3700)
    after = await calls.get(batch.id)
    assert after.status == "cancelled"
    assert [r.status for r in after.recipients] == ["completed", "cancelled", "cancelled"]
    nothing = await calls.retry(batch.id)  # cancelled recipients are not retried
    assert (nothing.status, nothing.retry_count) == ("cancelled", 0)


async def test_workspace_paging_delete_and_export(
    sdk: AsyncElevenLabs, wire: Wire, agent_id: str, twilio_number: str, advance: Advance
) -> None:
    calls = sdk.conversational_ai.batch_calls
    other = await make_agent(sdk)
    made: list[str] = []
    for i, owner in enumerate([agent_id, agent_id, other]):
        batch = await calls.create(
            call_name=f"Batch {i}",
            agent_id=owner,
            agent_phone_number_id=twilio_number,
            recipients=recipients("+15105550101"),
        )
        made.append(batch.id)
        await advance(1)
    first = await calls.list(limit=2)
    wire.conforms(WorkspaceBatchCallsResponse)
    assert [b.id for b in first.batch_calls] == [made[2], made[1]]
    assert first.has_more is True
    assert first.next_doc == made[1]
    second = await calls.list(limit=2, last_doc=first.next_doc)
    assert [b.id for b in second.batch_calls] == [made[0]]
    assert second.has_more is False
    assert second.next_doc is None
    mine = await calls.list(agent_id=agent_id)
    assert {b.id for b in mine.batch_calls} == set(made[:2])

    await advance(3700)
    chunks = [chunk async for chunk in calls.export(made[0])]
    csv_text = b"".join(chunks).decode()
    header, row = csv_text.strip().splitlines()
    assert header.startswith("id,phone_number,status,conversation_id")
    assert ",+15105550101,completed,conv_" in row
    done = await calls.get(made[0])
    await calls.delete(made[0])
    with pytest.raises(ApiError) as gone:
        await calls.get(made[0])
    assert gone.value.status_code == 404
    assert gone.value.body["detail"]["status"] == "batch_call_not_found"
    conversation_id = done.recipients[0].conversation_id
    assert conversation_id is not None
    kept = await sdk.conversational_ai.conversations.get(conversation_id)
    assert kept.status == "done"


async def test_submit_validation(sdk: AsyncElevenLabs, agent_id: str, twilio_number: str) -> None:
    calls = sdk.conversational_ai.batch_calls
    bad: list[dict[str, Any]] = [
        {"agent_id": "agent_nope", "agent_phone_number_id": twilio_number},
        {"agent_id": agent_id, "agent_phone_number_id": "phnum_nope"},
        {"agent_id": agent_id, "agent_phone_number_id": twilio_number, "branch_id": "agtbrch_x"},
        {"agent_id": agent_id},
    ]
    for extra in bad:
        with pytest.raises(ApiError) as refused:
            await calls.create(call_name="Bad", recipients=recipients("+15105550101"), **extra)
        assert refused.value.status_code in (400, 404)
    with pytest.raises(ApiError):
        await calls.create(
            call_name="Empty", agent_id=agent_id, agent_phone_number_id=twilio_number, recipients=[]
        )


async def test_batches_survive_a_state_round_trip(
    sdk: AsyncElevenLabs, agent_id: str, twilio_number: str, emu: Emulator, advance: Advance
) -> None:
    calls = sdk.conversational_ai.batch_calls
    batch = await calls.create(
        call_name="Persisted",
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        recipients=recipients("+15105550101", "+15105550102"),
    )
    await advance(5)
    emu.restore(emu.snapshot())
    await advance(3700)
    after = await calls.get(batch.id)
    assert after.status == "completed"
    assert [r.status for r in after.recipients] == ["completed", "completed"]
