"""`check_voice`: a voice that exists passes; an unknown one gets the closest voice and advice."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from parley.emulator.elevenlabs.voices import seed_voices
from parley.emulator.state import Emulator
from parley.providers.errors import ProviderAuthError
from parley.providers.registry import Providers
from parley.voices.cache import VoiceCache
from parley.voices.check import check_voice
from tests.providers.conftest import provider_settings
from tests.voices.conftest import Clock, Counted

RACHEL = "21m00Tcm4TlvDq8ikWAM"


async def test_a_listed_voice_is_ok(counted: Counted, cache: VoiceCache) -> None:
    check = await check_voice(counted.providers, "elevenlabs", RACHEL, cache=cache)
    assert check.ok
    assert check.voice is not None
    assert check.voice.name == "Rachel"
    assert check.suggestion is None


async def test_a_voice_added_since_caching_is_ok(
    counted: Counted, cache: VoiceCache, emu: Emulator
) -> None:
    await check_voice(counted.providers, "elevenlabs", RACHEL, cache=cache)
    seed_voices(emu, [{"voice_id": "newclone", "name": "Fresh"}])
    check = await check_voice(counted.providers, "elevenlabs", "newclone", cache=cache)
    assert check.ok  # a stale catalogue never rejects a voice: it was looked up directly
    assert counted.requests("elevenlabs") == 2


async def test_unknown_with_nothing_known_suggests_the_first_premade_voice(
    counted: Counted, cache: VoiceCache
) -> None:
    check = await check_voice(counted.providers, "elevenlabs", "nope", cache=cache)
    assert not check.ok
    assert check.voice is None
    assert check.suggestion is not None
    assert check.suggestion.voice_id == RACHEL
    assert check.message == (
        "voice nope does not exist on ElevenLabs; "
        f"{RACHEL} (Rachel, premade, female, american) is a voice you could use"
    )


async def test_unknown_suggests_the_voice_sharing_most_traits(
    counted: Counted, cache: VoiceCache
) -> None:
    like = {"gender": "male", "accent": "british"}
    check = await check_voice(counted.providers, "elevenlabs", "nope", cache=cache, like=like)
    assert check.suggestion is not None
    assert check.suggestion.name == "George"
    assert check.message.endswith("(George, premade, male, british) is the closest")


async def test_a_voice_that_disappeared_is_replaced_by_one_like_it(
    counted: Counted, cache: VoiceCache, clock: Clock, emu: Emulator
) -> None:
    labels = {"gender": "female", "accent": "british", "age": "middle_aged"}
    seed_voices(emu, [{"voice_id": "goneclone", "name": "Gone", "labels": labels}])
    assert (await check_voice(counted.providers, "elevenlabs", "goneclone", cache=cache)).ok
    del emu.state("elevenlabs").voices["goneclone"]
    clock.now += 7200  # the cached catalogue expires and is fetched again
    check = await check_voice(counted.providers, "elevenlabs", "goneclone", cache=cache)
    assert not check.ok
    assert check.suggestion is not None
    assert check.suggestion.name == "Alice"  # female, middle-aged, british: as the lost voice
    assert check.message == (
        "voice goneclone does not exist on ElevenLabs; "
        "Xb7hH8MSUJpSbSDYk0k2 (Alice, premade, female, british) is the closest"
    )


async def test_a_name_given_as_an_id_points_at_the_id(counted: Counted, cache: VoiceCache) -> None:
    check = await check_voice(counted.providers, "elevenlabs", "rachel", cache=cache)
    assert not check.ok
    assert check.suggestion is not None
    assert check.suggestion.voice_id == RACHEL
    assert check.message == (
        "voice rachel does not exist on ElevenLabs: it is the name of "
        f"Rachel, premade, female, american; use its id {RACHEL}"
    )


async def test_ultravox_catalogues_are_checked_the_same_way(
    counted: Counted, cache: VoiceCache
) -> None:
    check = await check_voice(
        counted.providers, "ultravox", "missing", cache=cache, like={"language": "de-DE"}
    )
    assert check.suggestion is not None
    assert check.suggestion.name == "Jonas-German"
    assert check.message.endswith("(Jonas-German, public, de) is the closest")
    fallback = await check_voice(counted.providers, "ultravox", "missing", cache=cache)
    assert fallback.suggestion is not None
    assert fallback.suggestion.name == "Mark"


async def test_provider_failures_are_raised_not_called_unknown(
    emulator_app: FastAPI, tmp_path: Path, cache: VoiceCache
) -> None:
    settings = provider_settings(tmp_path, elevenlabs_api_key="xi-wrong-secret")
    transport = httpx.ASGITransport(app=emulator_app)
    async with Providers(settings, transports={"elevenlabs": transport}) as providers:
        with pytest.raises(ProviderAuthError) as caught:
            await check_voice(providers, "elevenlabs", RACHEL, cache=cache)
    assert caught.value.message.startswith("ElevenLabs rejected the API key (401")
    assert "wrong-secret" not in caught.value.message
