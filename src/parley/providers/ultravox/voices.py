"""Ultravox voices: `/api/voices` (paged) and `/api/voices/{id}`, as Parley's `Voice`.

Ultravox voices have no labels in ElevenLabs' sense; what a person choosing a voice needs is
which speech engine is behind it (Cartesia, ElevenLabs...) and whether it costs extra, so those
become labels. `category` is the voice's ownership: `public` (Ultravox's catalogue) or `private`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from parley.providers.base import Voice
from parley.providers.ultravox.client import UltravoxClient

# Ultravox's billing styles, in the words a person reads in a table.
BILLING = {
    "VOICE_BILLING_STYLE_INCLUDED": "included",
    "VOICE_BILLING_STYLE_EXTERNAL": "external",
}


async def list_voices(client: UltravoxClient) -> AsyncIterator[Voice]:
    async for item in client.voices():
        yield to_voice(item)


async def get_voice(client: UltravoxClient, voice_id: str) -> Voice:
    return to_voice(await client.get_voice(voice_id))


def to_voice(item: dict[str, Any]) -> Voice:
    labels: dict[str, str] = {}
    if item.get("provider"):
        labels["engine"] = str(item["provider"])
    billing = item.get("billingStyle")
    if billing:
        labels["billing"] = BILLING.get(billing, str(billing))
    language = item.get("primaryLanguage")
    return Voice(
        provider="ultravox",
        voice_id=item["voiceId"],
        name=item.get("name") or item["voiceId"],
        category=str(item.get("ownership") or "public"),
        labels=labels,
        preview_url=item.get("previewUrl"),
        languages=[language] if language else [],
        description=item.get("description"),
    )
