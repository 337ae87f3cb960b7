"""Ultravox call history through `UltravoxClient`: the call list since a time, one call in full.

`/api/calls` is filtered on `fromDate` (the call's creation time) and followed page by page;
a call's messages come from `/api/calls/{id}/messages?mode=in_call`, paged the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from parley.conversations.schemas import ConversationRecord, ConversationRef
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
