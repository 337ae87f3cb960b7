"""`POST /webhooks/elevenlabs` and `POST /webhooks/ultravox`: read, verify, store, acknowledge.

No bearer token here: the provider's signature is the authentication. The body is read as raw
bytes with a size cap before anything parses it (the signature covers those exact bytes), and
the stored event and its job are committed before the 200 is sent. Storing goes through one
`GroupCommit` per app (created on first use), not the request session: concurrent deliveries
share a transaction.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from parley.config import Settings
from parley.errors import BadRequest, PayloadTooLarge
from parley.webhooks import service
from parley.webhooks.intake import GroupCommit
from parley.webhooks.schemas import WebhookAck

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not a JSON object with an event type."},
    401: {"description": "Missing, wrong or stale signature, or no webhook secret configured."},
    413: {"description": "The body is larger than `PARLEY_WEBHOOK_MAX_BYTES`."},
}


async def read_capped(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest("the Content-Length header is not a number")
        if int(declared) > limit:
            raise PayloadTooLarge(f"webhook bodies are limited to {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():  # chunked deliveries (ElevenLabs' audio) have no length
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"webhook bodies are limited to {limit} bytes")
    return bytes(body)


def intake(request: Request) -> GroupCommit:
    state = request.app.state
    found: GroupCommit | None = getattr(state, "webhook_intake", None)
    if found is None or found.engine is not state.engine:
        found = state.webhook_intake = GroupCommit(state.engine, service.PROCESS)
    return found


async def _receive(provider: str, request: Request) -> WebhookAck:
    settings: Settings = request.app.state.settings
    body = await read_capped(request, settings.webhook_max_bytes)
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await service.receive(
        intake(request), provider, body, headers, settings, now=time.time()
    )


@router.post("/elevenlabs", responses=ERRORS, summary="ElevenLabs post-call webhooks")
async def elevenlabs(request: Request) -> WebhookAck:
    """`post_call_transcription`, `post_call_audio`, `call_initiation_failure`; signed with
    `PARLEY_ELEVENLABS_WEBHOOK_SECRET`. A repeated delivery answers 200 and changes nothing."""
    return await _receive("elevenlabs", request)


@router.post("/ultravox", responses=ERRORS, summary="Ultravox call webhooks")
async def ultravox(request: Request) -> WebhookAck:
    """`call.started`, `call.joined`, `call.ended`, `call.billed`; signed with
    `PARLEY_ULTRAVOX_WEBHOOK_SECRET` (several secrets, comma-separated, while rotating)."""
    return await _receive("ultravox", request)
