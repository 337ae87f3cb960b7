"""ElevenLabs conversation history through the official SDK: the list since a time, one in full.

The list is paged with its cursor, filtered on `call_start_after_unix`, summaries only; the
full conversation is fetched per id and normalised by `conversations.normalise`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from parley.conversations.schemas import ConversationRecord, ConversationRef
from parley.providers.elevenlabs import conversations

if TYPE_CHECKING:
    from parley.providers.elevenlabs.adapter import ElevenLabsAdapter

PAGE_SIZE = 100


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
