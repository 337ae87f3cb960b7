"""ElevenLabs conversation history through the official SDK: the list since a time, one in full,
and its recording.

The list is paged with its cursor, filtered on `call_start_after_unix`, summaries only; the
full conversation is fetched per id and normalised by `conversations.normalise`. The recording
(`GET /v1/convai/conversations/{id}/audio`, mp3) is streamed through the SDK's raw audio client,
which also gives us the response's content type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from elevenlabs.core.api_error import ApiError
from elevenlabs.core.request_options import RequestOptions

from parley.conversations.schemas import ConversationRecord, ConversationRef
from parley.providers.base import Recording
from parley.providers.elevenlabs import conversations
from parley.providers.errors import ProviderUnavailable

if TYPE_CHECKING:
    from parley.providers.elevenlabs.adapter import ElevenLabsAdapter

PAGE_SIZE = 100
AUDIO_CHUNK = 64 * 1024


def _json(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return data


async def list_conversations(
    adapter: ElevenLabsAdapter, *, since: datetime | None = None
) -> AsyncIterator[ConversationRef]:
    from parley.providers.elevenlabs.adapter import NO_SDK_RETRIES

    # The filter is strict (start > after), so step back one second to include `since` itself.
    after = int(since.timestamp()) - 1 if since is not None else None
    cursor: str | None = None
    while True:
        page = await adapter._call(
            "list conversations",
            adapter.sdk.conversational_ai.conversations.list(
                cursor=cursor,
                call_start_after_unix=after,
                page_size=PAGE_SIZE,
                summary_mode="exclude",
                request_options=NO_SDK_RETRIES,
            ),
        )
        for summary in page.conversations:
            yield conversations.ref_from_summary(_json(summary))
        if not page.has_more or not page.next_cursor:
            return
        cursor = page.next_cursor


async def get_conversation(adapter: ElevenLabsAdapter, remote_id: str) -> ConversationRecord:
    from parley.providers.elevenlabs.adapter import NO_SDK_RETRIES

    found = await adapter._call(
        f"read conversation {remote_id}",
        adapter.sdk.conversational_ai.conversations.get(remote_id, request_options=NO_SDK_RETRIES),
    )
    return conversations.normalise(_json(found))


@asynccontextmanager
async def open_audio(adapter: ElevenLabsAdapter, remote_id: str) -> AsyncIterator[Recording]:
    from parley.providers.elevenlabs.adapter import NO_SDK_RETRIES, _error

    action = f"read the audio of conversation {remote_id}"
    raw = adapter.sdk.conversational_ai.conversations.audio.with_raw_response
    try:
        # The SDK reads 1 KiB at a time unless told otherwise; a call's mp3 is megabytes.
        options: RequestOptions = {**NO_SDK_RETRIES, "chunk_size": AUDIO_CHUNK}
        async with raw.get(remote_id, request_options=options) as answer:
            media_type = answer.headers.get("content-type", "audio/mpeg").split(";")[0].strip()
            yield Recording(media_type or "audio/mpeg", answer.data)
    except ApiError as exc:
        raise _error(exc, action) from None
    except httpx.TransportError as exc:
        raise ProviderUnavailable(
            "elevenlabs", f"ElevenLabs could not be reached to {action} ({type(exc).__name__})"
        ) from None
