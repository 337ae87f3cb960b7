"""The Ultravox app: every router under `/api`, the joinUrl socket, storage, DRF error shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from parley.emulator.ultravox import (
    agents,
    call_routes,
    corpora,
    corpus_uploads,
    durable_tools,
    errors,
    voices,
    webhooks,
    ws,
)

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

# The explicit list of resource routers (no discovery).
ROUTERS: list[APIRouter] = [
    agents.router,
    call_routes.router,
    call_routes.storage,
    durable_tools.router,
    corpora.router,
    corpus_uploads.router,
    corpus_uploads.storage,
    webhooks.router,
    voices.router,
    ws.router,
]


def create_app(emu: Emulator) -> FastAPI:
    app = FastAPI(title="Ultravox (emulated)", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emu = emu
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
