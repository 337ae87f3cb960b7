"""The ElevenLabs app: every router under `/v1`, the key check and ElevenLabs' error shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from parley.emulator.elevenlabs import (
    agents,
    batch_calls,
    branches,
    conversations,
    errors,
    knowledge_base,
    outbound_calls,
    phone_numbers,
    rag_index,
    runtime,
    settings,
    simulate_conversation,
    test_runs,
    testing,
    tools,
    voices,
    ws,
)

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

# Resource modules append their routers here (explicit list, no discovery).
ROUTERS: list[APIRouter] = []
ROUTERS += [
    agents.router,
    branches.router,
    conversations.router,
    settings.router,
    runtime.router,
    ws.router,
]
ROUTERS += [tools.router, rag_index.router, knowledge_base.router, testing.router]
ROUTERS += [test_runs.router, simulate_conversation.router, phone_numbers.router]
ROUTERS += [voices.router, voices.previews]
ROUTERS += [outbound_calls.router, batch_calls.router]


def create_app(emu: Emulator) -> FastAPI:
    app = FastAPI(title="ElevenLabs (emulated)", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emu = emu
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
