"""Voices through the official SDK: the premade catalogue, v2 search with filters and page
tokens, a single voice with settings, fixture voices, the preview MP3 and the 404 shape."""

from __future__ import annotations

import httpx
import pytest
from elevenlabs import GetVoicesResponse, GetVoicesV2Response, Voice
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError

from parley.emulator.elevenlabs.voices import CATALOGUE, seed_voices
from parley.emulator.state import Emulator
from tests.emulator.elevenlabs_periphery.conftest import Wire


async def test_catalogue_and_single_voice(sdk: AsyncElevenLabs, wire: Wire) -> None:
    everything = await sdk.voices.get_all()
    wire.conforms(GetVoicesResponse)
    assert len(everything.voices) == len(CATALOGUE)
    rachel = await sdk.voices.get("21m00Tcm4TlvDq8ikWAM")
    wire.conforms(Voice)
    assert (rachel.name, rachel.category) == ("Rachel", "premade")
    assert rachel.labels["accent"] == "american"
    assert rachel.settings.stability == 0.5
    assert rachel.preview_url == (
        "http://emulator.test/elevenlabs/v1/voices/21m00Tcm4TlvDq8ikWAM/preview.mp3"
    )
    assert (await sdk.voices.get("21m00Tcm4TlvDq8ikWAM", with_settings=False)).settings is None
    with pytest.raises(ApiError) as missing:
        await sdk.voices.get("nope")
    assert (missing.value.status_code, missing.value.body["detail"]["status"]) == (
        404,
        "voice_not_found",
    )


async def test_search_filters_and_pages(sdk: AsyncElevenLabs, wire: Wire) -> None:
    first = await sdk.voices.search(page_size=5, sort="name")
    wire.conforms(GetVoicesV2Response)
    assert [v.name for v in first.voices] == sorted(v.name for v in CATALOGUE)[:5]
    assert first.has_more
    assert first.total_count == len(CATALOGUE)
    second = await sdk.voices.search(
        page_size=5, sort="name", next_page_token=first.next_page_token
    )
    assert second.voices[0].name == sorted(v.name for v in CATALOGUE)[5]
    british = await sdk.voices.search(accent="british", gender="female")
    assert sorted(v.name for v in british.voices) == ["Alice", "Lily"]
    assert [v.name for v in (await sdk.voices.search(search="rach")).voices] == ["Rachel"]
    picked = await sdk.voices.search(voice_ids=["cjVigY5qzO86Huf0OWal", "JBFqnCBsd6RMkjVDRZzb"])
    assert sorted(v.name for v in picked.voices) == ["Eric", "George"]


async def test_fixture_voices_and_preview(
    sdk: AsyncElevenLabs, emu: Emulator, client: httpx.AsyncClient
) -> None:
    seed_voices(
        emu,
        [{"voice_id": "cloneVoice0000000001", "name": "Founder", "labels": {"accent": "german"}}],
    )
    mine = await sdk.voices.search(voice_type="personal")
    assert [(v.name, v.category) for v in mine.voices] == [("Founder", "cloned")]
    assert (await sdk.voices.get("cloneVoice0000000001")).is_owner
    preview = await client.get("/elevenlabs/v1/voices/cloneVoice0000000001/preview.mp3")
    assert preview.headers["content-type"] == "audio/mpeg"
    assert preview.content[:2] == b"\xff\xfb"
