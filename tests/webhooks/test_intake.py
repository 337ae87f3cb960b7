"""Bad deliveries get the right answer in Parley's error shape, and nothing is stored."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import func, select

from parley.db.engine import session_scope
from parley.models import Job, WebhookEvent
from parley.providers.elevenlabs import webhooks as el
from parley.providers.ultravox import webhooks as uv
from tests.webhooks.conftest import UV_SECRET, Stack, make_stack

BODY = json.dumps({"type": "post_call_transcription", "data": {"conversation_id": "c1"}}).encode()


def secret(stack: Stack) -> str:
    value = stack.parley.state.settings.elevenlabs_webhook_secret
    return str(value.get_secret_value())


async def _counts(stack: Stack) -> tuple[int, int]:
    async with session_scope(stack.parley.state.sessions) as session:
        events = await session.scalar(select(func.count()).select_from(WebhookEvent))
        jobs = await session.scalar(select(func.count()).select_from(Job))
    return int(events or 0), int(jobs or 0)


async def test_bad_inputs_store_nothing(stack: Stack) -> None:
    now = int(time.time())
    post = stack.client.post
    unsigned = await post("/webhooks/elevenlabs", content=BODY)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "bad_signature"
    assert "www-authenticate" not in unsigned.headers
    forged = {el.SIGNATURE_HEADER: el.sign(BODY, "not-the-secret", now)}
    assert (await post("/webhooks/elevenlabs", content=BODY, headers=forged)).status_code == 401
    stale = {el.SIGNATURE_HEADER: el.sign(BODY, secret(stack), now - 3600)}
    assert (await post("/webhooks/elevenlabs", content=BODY, headers=stale)).status_code == 401
    bad = b'{"type": "post_call_transcription", '
    malformed = await post(
        "/webhooks/elevenlabs",
        content=bad,
        headers={el.SIGNATURE_HEADER: el.sign(bad, secret(stack), now)},
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "bad_request"
    listed = b"[1, 2]"
    not_object = await post(
        "/webhooks/elevenlabs",
        content=listed,
        headers={el.SIGNATURE_HEADER: el.sign(listed, secret(stack), now)},
    )
    assert not_object.status_code == 400
    stamp = "2030-01-01T00:00:00Z"
    future = await post(
        "/webhooks/ultravox", content=b"{}", headers=uv.sign(b"{}", [UV_SECRET], stamp)
    )
    assert future.status_code == 401
    assert await _counts(stack) == (0, 0)


async def test_oversized_bodies_are_refused(db_url: str, tmp_path: Path) -> None:
    async for stack in make_stack(db_url, tmp_path, webhook_max_bytes=64):
        big = json.dumps({"type": "x", "data": {"pad": "a" * 200}}).encode()
        headers = {el.SIGNATURE_HEADER: el.sign(big, secret(stack), int(time.time()))}
        answer = await stack.client.post("/webhooks/elevenlabs", content=big, headers=headers)
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "payload_too_large"

        chunked = await stack.client.post(
            "/webhooks/elevenlabs", content=_chunks(big), headers=headers
        )
        assert chunked.status_code == 413
        assert await _counts(stack) == (0, 0)


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    """A body without Content-Length, as a chunked delivery sends it."""
    yield body[:50]
    yield body[50:]


async def test_an_unset_secret_refuses_everything(db_url: str, tmp_path: Path) -> None:
    async for stack in make_stack(db_url, tmp_path, ultravox_webhook_secret=None):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = json.dumps({"event": "call.ended", "call": {"callId": "x"}}).encode()
        for headers in ({}, uv.sign(body, [UV_SECRET], stamp), uv.sign(body, [""], stamp)):
            answer = await stack.client.post("/webhooks/ultravox", content=body, headers=headers)
            assert answer.status_code == 401
        assert await _counts(stack) == (0, 0)


async def test_unknown_types_are_stored_and_ignored(stack: Stack) -> None:
    body = json.dumps({"type": "brand_new_event", "data": {"x": 1}}).encode()
    headers = {el.SIGNATURE_HEADER: el.sign(body, secret(stack), int(time.time()))}
    first = await stack.client.post("/webhooks/elevenlabs", content=body, headers=headers)
    again = await stack.client.post("/webhooks/elevenlabs", content=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert (first.json()["status"], again.json()["status"]) == ("stored", "duplicate")
    assert await _counts(stack) == (1, 0)
    async with session_scope(stack.parley.state.sessions) as session:
        (event,) = (await session.scalars(select(WebhookEvent))).all()
    assert (event.status, event.event_type) == ("ignored", "brand_new_event")
