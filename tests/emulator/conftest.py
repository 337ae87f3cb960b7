"""Emulator fixtures: the app in-process behind httpx's ASGI transport, and a webhook receiver.

Outgoing webhooks go to `Receiver`, a small ASGI app plugged in as the emulator's outgoing
transport, so deliveries are real HTTP requests with no port and no patching.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.state import Emulator

EL_KEY = "xi-test-key"
UV_KEY = "uvtestkey.0123456789abcdef0123456789abcdef"


@dataclass
class Receiver:
    """Records every request it gets; answers with the queued statuses, then 200."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def app(self) -> FastAPI:
        receiver = FastAPI()

        @receiver.post("/{path:path}")
        async def record(path: str, request: Request) -> Response:
            self.requests.append(
                {"path": "/" + path, "headers": dict(request.headers), "body": await request.body()}
            )
            status = self.statuses.pop(0) if self.statuses else 200
            return Response(status_code=status)

        return receiver


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def emulator_app(receiver: Receiver) -> FastAPI:
    config = EmulatorConfig(
        seed=7,
        elevenlabs_api_keys=frozenset({EL_KEY}),
        ultravox_api_keys=frozenset({UV_KEY}),
        public_url="http://emulator.test",
        outgoing_transport=httpx.ASGITransport(app=receiver.app()),
    )
    return create_emulator_app(config)


@pytest.fixture
def emu(emulator_app: FastAPI) -> Emulator:
    state: Emulator = emulator_app.state.emu
    return state


@pytest.fixture
async def client(emulator_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as c:
        yield c
