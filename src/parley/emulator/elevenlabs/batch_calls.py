"""Batch calling under `v1/convai/batch-calling`: submit, list, get, cancel, retry, delete, export.

Submitting validates the agent, the branch and an outbound-capable phone number, stores the batch
`pending` and leaves the rest to the scheduler (batch_scheduler.py). The workspace list is paged
the batch-calling way: `limit` and `last_doc` (the id of the last batch seen) in, `next_doc` and
`has_more` out, newest first. Cancel stops every recipient not yet placed (calls already ringing
or talking finish normally); retry puts `failed` and `voicemail` recipients back to `pending`
and counts a retry. WhatsApp batches are not emulated (400).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from parley.emulator.elevenlabs.agent_models import get_agent
from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.batch_scheduler import (
    ACTIVE,
    RETRIED,
    BatchCall,
    BatchRecipient,
    batches,
)
from parley.emulator.elevenlabs.errors import ElevenLabsError, not_found
from parley.emulator.elevenlabs.outbound_calls import usable_number
from parley.emulator.elevenlabs.shapes import emulator

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/v1/convai/batch-calling", dependencies=[Depends(require_api_key)])


class RecipientBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str | None = None
    phone_number: str | None = None
    whatsapp_user_id: str | None = None
    conversation_initiation_client_data: dict[str, Any] | None = None


class SubmitBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    call_name: str
    agent_id: str
    recipients: list[RecipientBody]
    scheduled_time_unix: int | None = None
    agent_phone_number_id: str | None = None
    whatsapp_params: dict[str, Any] | None = None
    timezone: str | None = None
    branch_id: str | None = None
    environment: str | None = None
    telephony_call_config: dict[str, Any] | None = None
    target_concurrency_limit: int | None = Field(default=None, ge=1)


def view(emu: Emulator, batch: BatchCall) -> dict[str, Any]:
    """BatchCallResponse."""
    agent = emu.state("elevenlabs").agents.get(batch.agent_id)
    branch = agent.branches.get(batch.branch_id or "") if agent is not None else None
    return {
        "id": batch.id,
        "phone_number_id": batch.phone_number_id,
        "phone_provider": batch.phone_provider,
        "whatsapp_params": None,
        "name": batch.name,
        "agent_id": batch.agent_id,
        "branch_id": batch.branch_id,
        "environment": batch.environment,
        "created_at_unix": batch.created_at_unix,
        "scheduled_time_unix": batch.scheduled_time_unix,
        "timezone": batch.timezone,
        **batch.counts(),
        "last_updated_at_unix": batch.last_updated_at_unix,
        "status": batch.status,
        "retry_count": batch.retry_count,
        "telephony_call_config": batch.telephony_call_config,
        "target_concurrency_limit": batch.target_concurrency_limit,
        "agent_name": agent.name if agent is not None else "",
        "branch_name": branch.name if branch is not None else None,
    }


def _recipient_view(r: BatchRecipient) -> dict[str, Any]:
    """OutboundCallRecipientResponseModel."""
    return r.model_dump(exclude={"dispatched_at"})


def _batch(emu: Emulator, batch_id: str) -> BatchCall:
    batch = batches(emu).get(batch_id)
    if batch is None:
        raise not_found("batch_call", batch_id)
    return batch


@router.post("/submit")
async def submit(body: SubmitBody, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    agent = get_agent(emu, body.agent_id)
    if body.branch_id:
        agent.branch(body.branch_id)
    if body.whatsapp_params is not None:
        raise ElevenLabsError(400, "unsupported", "WhatsApp batches are not emulated.")
    if not body.agent_phone_number_id:
        raise ElevenLabsError(400, "invalid_request", "agent_phone_number_id is required.")
    number = usable_number(emu, body.agent_phone_number_id, None)
    if not body.recipients:
        raise ElevenLabsError(400, "invalid_request", "A batch needs at least one recipient.")
    if any(not r.phone_number for r in body.recipients):
        raise ElevenLabsError(400, "invalid_request", "Every recipient needs a phone_number.")
    now = emu.clock.now_secs()
    batch = BatchCall(
        id=emu.ids.elevenlabs("btcal"),
        name=body.call_name,
        agent_id=agent.agent_id,
        phone_number_id=number.phone_number_id,
        phone_provider=number.provider,
        branch_id=body.branch_id,
        environment=body.environment,
        created_at_unix=now,
        scheduled_time_unix=body.scheduled_time_unix or now,
        timezone=body.timezone,
        last_updated_at_unix=now,
        telephony_call_config=body.telephony_call_config or {},
        target_concurrency_limit=body.target_concurrency_limit,
        recipients=[
            BatchRecipient(
                id=r.id or emu.ids.elevenlabs("btcrcp"),
                phone_number=r.phone_number,
                created_at_unix=now,
                updated_at_unix=now,
                conversation_initiation_client_data=r.conversation_initiation_client_data,
            )
            for r in body.recipients
        ],
    )
    batches(emu)[batch.id] = batch
    return view(emu, batch)


@router.get("/workspace")
async def list_batches(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    last_doc: str | None = None,
    agent_id: str | None = None,
) -> dict[str, Any]:
    emu = emulator(request)
    found = sorted(batches(emu).values(), key=lambda b: (-b.created_at_unix, b.id))
    found = [b for b in found if agent_id is None or b.agent_id == agent_id]
    start = 0
    if last_doc:
        ids = [b.id for b in found]
        if last_doc not in ids:
            raise ElevenLabsError(400, "invalid_last_doc", "last_doc is not a known batch call.")
        start = ids.index(last_doc) + 1
    chunk = found[start : start + limit]
    more = start + limit < len(found)
    return {
        "batch_calls": [view(emu, b) for b in chunk],
        "next_doc": chunk[-1].id if more and chunk else None,
        "has_more": more,
    }


@router.get("/{batch_id}")
async def get_batch(batch_id: str, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    batch = _batch(emu, batch_id)
    return {**view(emu, batch), "recipients": [_recipient_view(r) for r in batch.recipients]}


@router.delete("/{batch_id}")
async def delete_batch(batch_id: str, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    _batch(emu, batch_id)
    del batches(emu)[batch_id]  # the batch's conversations stay in the history
    return {}


@router.post("/{batch_id}/cancel")
async def cancel(batch_id: str, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    batch = _batch(emu, batch_id)
    if batch.status in ("completed", "failed"):
        raise ElevenLabsError(400, "batch_not_cancellable", f"The batch is {batch.status}.")
    now = emu.clock.now_secs()
    for r in batch.recipients:
        if r.status in ("pending", "dispatched"):
            r.status, r.updated_at_unix = "cancelled", now
    batch.status, batch.last_updated_at_unix = "cancelled", now
    return view(emu, batch)


@router.post("/{batch_id}/retry")
async def retry(batch_id: str, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    batch = _batch(emu, batch_id)
    if batch.status in ("pending", "in_progress") or any(
        r.status in ACTIVE for r in batch.recipients
    ):
        raise ElevenLabsError(400, "batch_in_progress", "Retry a batch once its calls are over.")
    again = [r for r in batch.recipients if r.status in RETRIED]
    if again:
        now = emu.clock.now_secs()
        for r in again:
            r.status, r.conversation_id, r.dispatched_at, r.updated_at_unix = (
                "pending",
                None,
                None,
                now,
            )
        batch.status, batch.retry_count, batch.last_updated_at_unix = (
            "in_progress",
            batch.retry_count + 1,
            now,
        )
    return view(emu, batch)


@router.get("/{batch_id}/export")
async def export(
    batch_id: str, request: Request, limit: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    """The recipients as CSV, one row each."""
    batch = _batch(emulator(request), batch_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "phone_number", "status", "conversation_id", "updated_at_unix"])
    for r in batch.recipients[:limit]:
        writer.writerow(
            [r.id, r.phone_number, r.status, r.conversation_id or "", r.updated_at_unix]
        )
    return Response(out.getvalue(), media_type="text/csv")
