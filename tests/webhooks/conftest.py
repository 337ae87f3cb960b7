"""Parley's real app receiving the emulator's real webhook deliveries, in-process.

The emulator's outgoing transport points at Parley's app through `Later`, an ASGI app whose
target is set once Parley is built (Parley's settings need the secret the emulator issues).
The in-process job runner is off: tests run jobs with `run_once` so they are deterministic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from parley.app import create_app
from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.state import Emulator
from parley.jobs.runner import Runner
from parley.jobs.schemas import JobContext
from parley.providers.registry import Providers
from tests.providers.conftest import EL_KEY, UV_KEY, provider_settings

EL = "http://emulator.test/elevenlabs"
UV = "http://emulator.test/ultravox"
UV_SECRET = "uv-secret-0123456789abcdef"


class Later:
    """An ASGI app that forwards to `target`, which is set after construction."""

    target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None
        await self.target(scope, receive, send)


@dataclass
class Stack:
    parley: FastAPI
    emulator: FastAPI
    emu: Emulator
    providers: Providers
    client: httpx.AsyncClient  # to Parley
    runner: Runner

    async def deliver(self) -> int:
        """Send every due webhook from the emulator to Parley."""
        return await self.emu.outbox.pump()


async def make_stack(db_url: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[Stack]:
    later = Later()
    emulator = create_emulator_app(
        EmulatorConfig(
            seed=11,
            elevenlabs_api_keys=frozenset({EL_KEY}),
            ultravox_api_keys=frozenset({UV_KEY}),
            public_url="http://emulator.test",
            outgoing_transport=httpx.ASGITransport(app=later),
        )
    )
    to_emulator = httpx.ASGITransport(app=emulator)
    async with httpx.AsyncClient(transport=to_emulator) as emu_http:
        hook = await emu_http.post(
            f"{EL}/v1/workspace/webhooks",
            headers={"xi-api-key": EL_KEY},
            json={
                "settings": {
                    "name": "parley",
                    "webhook_url": "http://parley.test/webhooks/elevenlabs",
                }
            },
        )
        hook.raise_for_status()
        el_secret = hook.json()["webhook_secret"]
        events = ["transcript", "audio", "call_initiation_failure"]
        patched = await emu_http.patch(
            f"{EL}/v1/convai/settings",
            headers={"xi-api-key": EL_KEY},
            json={
                "webhooks": {"post_call_webhook_id": hook.json()["webhook_id"], "events": events}
            },
        )
        patched.raise_for_status()
        made = await emu_http.post(
            f"{UV}/api/webhooks",
            headers={"X-API-Key": UV_KEY},
            json={
                "url": "http://parley.test/webhooks/ultravox",
                "events": ["call.started", "call.joined", "call.ended", "call.billed"],
                "secrets": [UV_SECRET],
            },
        )
        made.raise_for_status()
    values: dict[str, Any] = {
        "database_url": db_url,
        "elevenlabs_webhook_secret": el_secret,
        "ultravox_webhook_secret": f"retired-secret,{UV_SECRET}",
        "job_runner": False,
        **overrides,
    }
    settings = provider_settings(tmp_path, **values)
    parley = create_app(settings)
    later.target = parley
    transports = {"elevenlabs": to_emulator, "ultravox": to_emulator}
    async with parley.router.lifespan_context(parley):
        runner = Runner(parley.state.sessions, JobContext(settings, transports))
        async with (
            Providers(settings, transports=transports) as built,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=parley), base_url="http://parley.test"
            ) as client,
        ):
            yield Stack(parley, emulator, emulator.state.emu, built, client, runner)


@pytest.fixture
async def stack(db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    async for built in make_stack(db_url, tmp_path):
        yield built
