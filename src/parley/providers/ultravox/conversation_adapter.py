"""Ultravox call history through `UltravoxClient`: the call list since a time, one call in full,
and its recording.

`/api/calls` is filtered on `fromDate` (the call's creation time) and followed page by page;
a call's messages come from `/api/calls/{id}/messages?mode=in_call`, paged the same way.
`/api/calls/{id}/recording` answers with a redirect to a short-lived signed storage URL (or
with the bytes themselves): the redirect is followed by hand, without the API key, since the
storage host is not Ultravox's API and the signature in the URL is the credential.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx

from parley.conversations.schemas import ConversationRecord, ConversationRef
from parley.providers.base import Recording
from parley.providers.errors import ProviderRejected, ProviderUnavailable, from_response
from parley.providers.ultravox import conversations
from parley.providers.ultravox.client import UltravoxClient


async def list_conversations(
    client: UltravoxClient, *, since: datetime | None = None
) -> AsyncIterator[ConversationRef]:
    params: dict[str, str] = {"sort": "-created"}
    if since is not None:
        params["fromDate"] = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
    async for call in client.pages("/api/calls", "list calls", **params):
        yield conversations.ref_from_call(call)


async def get_conversation(client: UltravoxClient, remote_id: str) -> ConversationRecord:
    call = await client.request("GET", f"/api/calls/{remote_id}", f"read call {remote_id}")
    messages = [
        message
        async for message in client.pages(
            f"/api/calls/{remote_id}/messages", f"read the messages of call {remote_id}",
            mode="in_call",
        )
    ]  # fmt: skip
    return conversations.normalise(call, messages)


REDIRECTS = frozenset({301, 302, 303, 307, 308})


@asynccontextmanager
async def open_audio(client: UltravoxClient, remote_id: str) -> AsyncIterator[Recording]:
    action = f"read the recording of call {remote_id}"
    url = f"{client.base}/api/calls/{remote_id}/recording"
    try:
        async with client.http.stream("GET", url, headers=client.headers) as answer:
            if answer.status_code not in REDIRECTS:
                async with _recording(answer, action) as recording:
                    yield recording
                return
            location = answer.headers.get("location")
        if not location:
            raise ProviderRejected(
                "ultravox", f"Ultravox sent a redirect without a target to {action}"
            )
        target = answer.url.join(location)
        if target.scheme not in ("http", "https"):
            raise ProviderRejected(
                "ultravox", f"Ultravox redirected to a {target.scheme} URL to {action}"
            )
        async with (
            client.http.stream("GET", target) as stored,
            _recording(stored, action) as recording,
        ):
            yield recording
    except httpx.TransportError as exc:
        raise ProviderUnavailable(
            "ultravox", f"Ultravox could not be reached to {action} ({type(exc).__name__})"
        ) from None


@asynccontextmanager
async def _recording(answer: httpx.Response, action: str) -> AsyncIterator[Recording]:
    if answer.status_code >= 300:
        await answer.aread()
        raise from_response("ultravox", answer, action)
    media_type = answer.headers.get("content-type", "audio/wav").split(";")[0].strip()
    yield Recording(media_type or "audio/wav", answer.aiter_bytes())
