"""Voices tests aim the real adapters at the in-process emulator, as tests/providers does.

`counted` builds `Providers` with `Resilience` objects the test keeps, so a test can tell how many
requests reached a provider (a cache hit sends none); `Clock` ages the voice cache on demand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from parley.providers.registry import Providers
from parley.providers.resilience import Resilience
from parley.voices.cache import VoiceCache
from tests.providers.conftest import emu, emulator_app, provider_settings

__all__ = ["emu", "emulator_app"]  # shared fixtures, re-exported for pytest


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Counted:
    providers: Providers
    resilience: dict[str, Resilience] = field(default_factory=dict)

    def requests(self, provider: str) -> int:
        res = self.resilience.get(provider)
        return res.attempts if res else 0


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(tmp_path: Path, clock: Clock) -> VoiceCache:
    return VoiceCache(tmp_path / "cache", ttl_s=3600, clock=clock)


@pytest.fixture
async def counted(emulator_app: FastAPI, tmp_path: Path) -> AsyncIterator[Counted]:
    transport = httpx.ASGITransport(app=emulator_app)
    resilience = {name: Resilience(name) for name in ("elevenlabs", "ultravox")}
    async with Providers(
        provider_settings(tmp_path),
        transports={"elevenlabs": transport, "ultravox": transport},
        resilience=resilience,
    ) as built:
        yield Counted(built, resilience)
