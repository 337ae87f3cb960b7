"""Listing and showing voices across providers, with each provider's catalogue cached on disk.

`catalogue` is the one place that decides between the cache and the provider; listing filters
the whole catalogue locally, so `--search` and `--category` never cost a request once it is
cached. `show_voice` always asks the provider: one request, and the answer is current.
"""

from __future__ import annotations

import time

from parley.config import Settings
from parley.errors import InvalidInput, NotFound
from parley.providers.base import Voice
from parley.providers.errors import ProviderNotFound, display
from parley.providers.registry import PROVIDERS, Providers, credentials
from parley.voices.cache import Clock, VoiceCache
from parley.voices.schemas import Catalogue

ALL = "all"


def cache_for(settings: Settings, *, clock: Clock = time.time) -> VoiceCache:
    return VoiceCache(settings.data_dir / "cache", settings.voice_cache_ttl_s, clock=clock)


def targets(settings: Settings, provider: str = ALL) -> list[str]:
    """The providers `provider` names: itself, or for `all` every provider with an API key."""
    if provider != ALL:
        if provider not in PROVIDERS:
            known = ", ".join((*PROVIDERS, ALL))
            raise InvalidInput(f"unknown provider {provider!r}; use one of {known}")
        return [provider]
    configured = [p for p in PROVIDERS if credentials(settings, p)[0]]
    if not configured:
        keys = " or ".join(f"PARLEY_{p.upper()}_API_KEY" for p in PROVIDERS)
        raise InvalidInput(f"no provider has an API key: set {keys}")
    return configured


async def catalogue(
    providers: Providers, provider: str, cache: VoiceCache, *, refresh: bool = False
) -> Catalogue:
    """Every voice of `provider`: from the cache while it is fresh, else fetched and cached."""
    if not refresh:
        cached = cache.read(provider)
        if cached is not None:
            return cached
    voices = [voice async for voice in providers.get(provider).list_voices()]
    return cache.write(provider, voices)


async def list_voices(
    providers: Providers,
    provider: str = ALL,
    *,
    cache: VoiceCache,
    refresh: bool = False,
    search: str | None = None,
    category: str | None = None,
) -> list[Catalogue]:
    """One catalogue per provider named, each holding only the voices that match."""
    found = []
    for name in targets(providers.settings, provider):
        whole = await catalogue(providers, name, cache, refresh=refresh)
        kept = [v for v in whole.voices if matches(v, search=search, category=category)]
        found.append(whole.model_copy(update={"voices": kept}))
    return found


def matches(voice: Voice, *, search: str | None = None, category: str | None = None) -> bool:
    """`search` is case-insensitive text in the id, name, description, category or a label."""
    if category and voice.category.lower() != category.lower():
        return False
    if not search:
        return True
    fields = [voice.voice_id, voice.name, voice.description or "", voice.category]
    fields += [*voice.labels.values(), *voice.languages]
    return search.lower() in " ".join(fields).lower()


async def show_voice(providers: Providers, voice_id: str, provider: str = ALL) -> Voice:
    """The voice with this id on `provider`, or on the first configured provider that has it."""
    names = targets(providers.settings, provider)
    for name in names:
        try:
            return await providers.get(name).get_voice(voice_id)
        except ProviderNotFound:
            continue
    where = " or ".join(display(n) for n in names)
    hint = "" if provider == ALL else f" (`parley voices list --provider {provider}` lists them)"
    raise NotFound(f"voice {voice_id} does not exist on {where}{hint}")
