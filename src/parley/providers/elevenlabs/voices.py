"""ElevenLabs voices through the official SDK: the workspace's catalogue, and one voice by id.

The catalogue is read with `GET /v2/voices` (the SDK's `voices.search`), which pages with a token
and keeps working past the 500 voices where `GET /v1/voices` stops. It lists premade voices and
the workspace's own (clones, designed and saved library voices): exactly the voices an agent
may speak with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from elevenlabs.core.request_options import RequestOptions

from parley.providers.base import Voice

if TYPE_CHECKING:
    from parley.providers.elevenlabs.adapter import ElevenLabsAdapter

PAGE_SIZE = 100  # the most v2/voices gives in one page
# As in adapter.py: ResilientTransport retries, so the SDK must not retry on top of it.
NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}


async def list_voices(adapter: ElevenLabsAdapter) -> AsyncIterator[Voice]:
    """Every voice in the workspace, premade ones included, page after page."""
    token: str | None = None
    while True:
        page = await adapter._call(
            "list voices",
            adapter.sdk.voices.search(
                page_size=PAGE_SIZE,
                next_page_token=token,
                include_total_count=False,  # costs ElevenLabs a count query we never show
                request_options=NO_SDK_RETRIES,
            ),
        )
        for voice in page.voices:
            yield to_voice(voice)
        if not page.has_more or not page.next_page_token:
            return
        token = page.next_page_token


async def get_voice(adapter: ElevenLabsAdapter, voice_id: str) -> Voice:
    voice = await adapter._call(
        f"read voice {voice_id}",
        adapter.sdk.voices.get(voice_id, with_settings=False, request_options=NO_SDK_RETRIES),
    )
    return to_voice(voice)


def to_voice(voice: Any) -> Voice:
    """The SDK's `Voice` as Parley's: labels as given, languages from verification and labels."""
    labels = {str(k): str(v) for k, v in (voice.labels or {}).items() if v}
    languages: list[str] = []
    for verified in voice.verified_languages or []:
        if verified.language and verified.language not in languages:
            languages.append(verified.language)
    if labels.get("language") and labels["language"] not in languages:
        languages.insert(0, labels["language"])
    return Voice(
        provider="elevenlabs",
        voice_id=voice.voice_id,
        name=voice.name or voice.voice_id,
        category=str(voice.category or "unknown"),
        labels=labels,
        preview_url=voice.preview_url,
        languages=languages,
        description=voice.description,
    )
