"""The ElevenLabs app: every router under `/api`, the key check and Ultravox' error shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from parley.emulator.ultravox import errors

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

# Resource modules append their routers here (explicit list, no discovery).
ROUTERS: list[APIRouter] = []


def create_app(emu: Emulator) -> FastAPI:
    app = FastAPI(title="Ultravox (emulated)", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emu = emu
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
