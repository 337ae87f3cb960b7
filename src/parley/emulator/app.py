"""`create_emulator_app()`: both providers mounted under their prefixes, plus `/_emulator`.

`/elevenlabs/...` speaks the ElevenLabs API (so a client's base URL is `<host>/elevenlabs`),
`/ultravox/...` the Ultravox API (`<host>/ultravox/api/...`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from parley.emulator import control
from parley.emulator.config import EmulatorConfig
from parley.emulator.elevenlabs.provider import ElevenLabsProvider
from parley.emulator.faults import ErrorBody, FaultMiddleware
from parley.emulator.provider import EmulatedProvider
from parley.emulator.state import Emulator
from parley.emulator.ultravox.provider import UltravoxProvider


def default_providers() -> list[EmulatedProvider]:
    return [ElevenLabsProvider(), UltravoxProvider()]


class _MarkDirty:
    """Any request that may change state marks it for saving (`--state-file`)."""

    def __init__(self, app: ASGIApp, emu: Emulator) -> None:
        self.app = app
        self.emu = emu

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" or scope.get("method") not in ("GET", "HEAD", None):
            self.emu.dirty = True
        await self.app(scope, receive, send)


def create_emulator_app(
    config: EmulatorConfig | None = None, providers: list[EmulatedProvider] | None = None
) -> FastAPI:
    config = config or EmulatorConfig()
    emu = Emulator(config, providers or default_providers())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with emu.running():
            yield

    app = FastAPI(title="Parley provider emulator", lifespan=lifespan, docs_url="/_emulator/docs")
    app.state.emu = emu
    app.include_router(control.router)
    for name, provider in emu.providers.items():
        sub = provider.create_app(emu)
        sub.state.emu = emu
        app.mount(f"/{name}", sub)
    bodies: dict[str, ErrorBody] = {f"/{n}": p.error_body for n, p in emu.providers.items()}
    app.add_middleware(FaultMiddleware, book=lambda: emu.faults, bodies=bodies)
    app.add_middleware(_MarkDirty, emu=emu)
    return app
