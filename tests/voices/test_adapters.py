"""Both adapters' voice methods against the emulator, through the real SDK and client."""

from __future__ import annotations

import pytest

from parley.emulator.elevenlabs.voices import CATALOGUE, seed_voices
from parley.emulator.state import Emulator
from parley.emulator.ultravox import voices as uv_voices
from parley.providers.errors import ProviderNotFound
from tests.voices.conftest import Counted

RACHEL = "21m00Tcm4TlvDq8ikWAM"
JONAS = "8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e06"  # Ultravox's German voice backed by ElevenLabs


async def test_elevenlabs_lists_premade_voices_with_labels(counted: Counted) -> None:
    voices = [v async for v in counted.providers.get("elevenlabs").list_voices()]
    assert len(voices) == len(CATALOGUE)
    rachel = next(v for v in voices if v.voice_id == RACHEL)
    assert (rachel.provider, rachel.name, rachel.category) == ("elevenlabs", "Rachel", "premade")
    assert rachel.labels["gender"] == "female"
    assert rachel.labels["accent"] == "american"
    assert rachel.languages == ["en"]
    assert rachel.preview_url is not None
    assert rachel.preview_url.endswith(f"/v1/voices/{RACHEL}/preview.mp3")


async def test_elevenlabs_follows_page_tokens(counted: Counted, emu: Emulator) -> None:
    seed_voices(emu, [{"voice_id": f"clone{i:03}", "name": f"Clone {i}"} for i in range(120)])
    voices = [v async for v in counted.providers.get("elevenlabs").list_voices()]
    assert len(voices) == len(CATALOGUE) + 120
    assert len({v.voice_id for v in voices}) == len(voices)
    assert counted.requests("elevenlabs") == 2  # pages of 100
    assert {v.category for v in voices} == {"premade", "cloned"}


async def test_elevenlabs_shows_one_voice_or_says_it_is_missing(counted: Counted) -> None:
    adapter = counted.providers.get("elevenlabs")
    rachel = await adapter.get_voice(RACHEL)
    assert rachel.name == "Rachel"
    with pytest.raises(ProviderNotFound) as missing:
        await adapter.get_voice("nope")
    assert missing.value.message == (
        "ElevenLabs could not read voice nope: not found (404 voice_not_found)"
    )


async def test_ultravox_lists_voices_with_engine_and_language(counted: Counted) -> None:
    voices = [v async for v in counted.providers.get("ultravox").list_voices()]
    assert len(voices) == len(uv_voices.BUILT_IN)
    jonas = next(v for v in voices if v.voice_id == JONAS)
    assert (jonas.provider, jonas.name, jonas.category) == ("ultravox", "Jonas-German", "public")
    assert jonas.labels == {"engine": "eleven_labs", "billing": "external"}
    assert jonas.languages == ["de"]
    assert jonas.description == "Relaxed German speaker"


async def test_ultravox_follows_next_links(counted: Counted, emu: Emulator) -> None:
    uv_voices.seed(emu, [{"name": f"Private {i}"} for i in range(120)])
    voices = [v async for v in counted.providers.get("ultravox").list_voices()]
    assert len(voices) == len(uv_voices.BUILT_IN) + 120
    assert counted.requests("ultravox") == 2
    assert sum(v.category == "private" for v in voices) == 120


async def test_ultravox_shows_one_voice_or_says_it_is_missing(counted: Counted) -> None:
    adapter = counted.providers.get("ultravox")
    assert (await adapter.get_voice(JONAS)).name == "Jonas-German"
    with pytest.raises(ProviderNotFound) as missing:
        await adapter.get_voice("00000000-0000-0000-0000-000000000000")
    assert missing.value.message.startswith("Ultravox could not read voice 0000")
