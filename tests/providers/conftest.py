"""Real adapters aimed at the emulator in-process: no ports, no patching."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from parley.config import Settings, settings_with
from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.state import Emulator
from parley.providers.registry import Providers

EL_KEY = "xi-parley-test"
UV_KEY = "uvkey.0123456789abcdef0123456789abcdef"


@pytest.fixture
def emulator_app() -> FastAPI:
    return create_emulator_app(
        EmulatorConfig(
            seed=3,
            elevenlabs_api_keys=frozenset({EL_KEY}),
            ultravox_api_keys=frozenset({UV_KEY}),
            public_url="http://emulator.test",
        )
    )


@pytest.fixture
def emu(emulator_app: FastAPI) -> Emulator:
    state: Emulator = emulator_app.state.emu
    return state


def provider_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "elevenlabs_api_key": EL_KEY,
        "elevenlabs_base_url": "http://emulator.test/elevenlabs",
        "ultravox_api_key": UV_KEY,
        "ultravox_base_url": "http://emulator.test/ultravox",
        **overrides,
    }
    return settings_with(**values)


@pytest.fixture
async def providers(emulator_app: FastAPI, tmp_path: Path) -> AsyncIterator[Providers]:
    transport = httpx.ASGITransport(app=emulator_app)
    transports = {"elevenlabs": transport, "ultravox": transport}
    async with Providers(provider_settings(tmp_path), transports=transports) as built:
        yield built
