"""Listing across providers through the on-disk cache: hits, expiry, --refresh, filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parley.config import settings_with
from parley.errors import InvalidInput, NotFound
from parley.providers.registry import Providers
from parley.voices import service
from parley.voices.cache import VoiceCache
from tests.providers.conftest import provider_settings
from tests.voices.conftest import Clock, Counted


async def test_a_fresh_cache_answers_without_a_request(counted: Counted, cache: VoiceCache) -> None:
    first = await service.catalogue(counted.providers, "elevenlabs", cache)
    assert not first.from_cache
    assert counted.requests("elevenlabs") == 1
    again = await service.catalogue(counted.providers, "elevenlabs", cache)
    assert again.from_cache
    assert again.voices == first.voices
    assert again.fetched_at == first.fetched_at
    assert counted.requests("elevenlabs") == 1


async def test_an_expired_cache_is_fetched_again(
    counted: Counted, cache: VoiceCache, clock: Clock
) -> None:
    await service.catalogue(counted.providers, "ultravox", cache)
    clock.now += 3599
    assert (await service.catalogue(counted.providers, "ultravox", cache)).from_cache
    clock.now += 1
    assert not (await service.catalogue(counted.providers, "ultravox", cache)).from_cache
    assert counted.requests("ultravox") == 2


async def test_refresh_bypasses_a_fresh_cache(counted: Counted, cache: VoiceCache) -> None:
    await service.catalogue(counted.providers, "elevenlabs", cache)
    fresh = await service.catalogue(counted.providers, "elevenlabs", cache, refresh=True)
    assert not fresh.from_cache
    assert counted.requests("elevenlabs") == 2


async def test_the_cache_lives_in_the_data_directory(counted: Counted, tmp_path: Path) -> None:
    settings = provider_settings(tmp_path, voice_cache_ttl_s=60)
    cache = service.cache_for(settings)
    assert cache.ttl_s == 60
    await service.catalogue(counted.providers, "elevenlabs", cache)
    stored = json.loads((tmp_path / "cache" / "voices-elevenlabs.json").read_text())
    assert stored["provider"] == "elevenlabs"
    assert any(v["name"] == "Rachel" for v in stored["voices"])


@pytest.mark.parametrize("content", ["{not json", '{"format": 99}', '{"format": 1, "voices": 3}'])
async def test_an_unreadable_cache_file_is_a_miss(
    counted: Counted, cache: VoiceCache, content: str
) -> None:
    cache.directory.mkdir(parents=True)
    cache.path("elevenlabs").write_text(content)
    assert not (await service.catalogue(counted.providers, "elevenlabs", cache)).from_cache
    assert cache.read("elevenlabs") is not None  # and is replaced by a good one


async def test_a_zero_ttl_never_reuses(counted: Counted, tmp_path: Path, clock: Clock) -> None:
    cache = VoiceCache(tmp_path / "c", ttl_s=0, clock=clock)
    await service.catalogue(counted.providers, "elevenlabs", cache)
    await service.catalogue(counted.providers, "elevenlabs", cache)
    assert counted.requests("elevenlabs") == 2


async def test_list_filters_by_search_and_category(counted: Counted, cache: VoiceCache) -> None:
    found = await service.list_voices(
        counted.providers, "all", cache=cache, search="BRITISH", category="premade"
    )
    assert [c.provider for c in found] == ["elevenlabs", "ultravox"]
    assert [v.name for v in found[0].voices] == ["George", "Alice", "Daniel", "Lily"]
    assert found[1].voices == []  # Ultravox voices are public or private, never premade
    german = await service.list_voices(counted.providers, "ultravox", cache=cache, search="de")
    assert "Jonas-German" in [v.name for v in german[0].voices]
    # Filtering happened on the cached catalogues: one request per provider in all.
    assert (counted.requests("elevenlabs"), counted.requests("ultravox")) == (1, 1)


async def test_all_means_every_provider_with_a_key(tmp_path: Path, cache: VoiceCache) -> None:
    only_uv = provider_settings(tmp_path, elevenlabs_api_key=None)
    assert service.targets(only_uv) == ["ultravox"]
    with pytest.raises(InvalidInput, match="no provider has an API key: set PARLEY_ELEVENLABS"):
        service.targets(settings_with(data_dir=tmp_path))
    with pytest.raises(InvalidInput, match="unknown provider 'vapi'"):
        service.targets(only_uv, "vapi")
    async with Providers(only_uv) as providers:
        with pytest.raises(InvalidInput, match="no API key for elevenlabs"):
            await service.list_voices(providers, "elevenlabs", cache=cache)


async def test_show_looks_on_each_provider(counted: Counted) -> None:
    jonas = await service.show_voice(counted.providers, "8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e06")
    assert jonas.provider == "ultravox"
    with pytest.raises(NotFound, match=r"does not exist on ElevenLabs or Ultravox$"):
        await service.show_voice(counted.providers, "nope")
    with pytest.raises(NotFound, match="parley voices list --provider elevenlabs"):
        await service.show_voice(counted.providers, "nope", "elevenlabs")
