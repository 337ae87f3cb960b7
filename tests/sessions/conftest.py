"""Parley's real app (in-process) starting conversations on the emulator over a real port.

Start paths hand out URLs the client connects to over WebSocket, and the inbound webhook is
called by the emulator itself, so the emulator runs as a real server here (uvicorn in a
thread) and Parley reaches it over the network exactly as it reaches the providers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from parley.app import create_app
from parley.config import Settings, settings_with
from parley.db.engine import session_scope
from parley.providers.registry import Providers
from parley.tokens import service as tokens
from tests.conversations.conftest import apply_examples
from tests.live_emulator import RunningEmulator, free_port, running_emulator

INITIATION_SECRET = "init-secret-0123456789"


@dataclass
class Live:
    emulator: RunningEmulator
    parley: FastAPI
    settings: Settings
    client: httpx.AsyncClient  # to Parley, with a bearer token
    providers: Providers
    remote: dict[tuple[str, str], str]  # (agent, target) -> remote agent id

    @property
    def sessions(self) -> Any:
        return self.parley.state.sessions

    async def emu_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.emulator.url) as http:
            answer = await http.post(path, json=body)
            answer.raise_for_status()
            data: dict[str, Any] = answer.json()
            return data


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with running_emulator(seed=21) as running:
        yield running


def live_settings(emulator: RunningEmulator, db_url: str, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "data_dir": tmp_path,
        "job_runner": False,
        "elevenlabs_api_key": "xi-sessions",
        "elevenlabs_base_url": f"{emulator.url}/elevenlabs",
        "ultravox_api_key": "uv-sessions",
        "ultravox_base_url": f"{emulator.url}/ultravox",
        "elevenlabs_initiation_secret": INITIATION_SECRET,
        "secret_variables": '{"profile_api_token": "tok-CONFIGURED-77"}',
        **extra,
    }
    return settings_with(**values)


@contextmanager
def running_parley(settings: Settings) -> Iterator[str]:
    """Parley's app on a real local port (its own thread and event loop), for the emulator to
    call; yields the base URL."""
    port = free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("Parley's server did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def make_live(
    emulator: RunningEmulator,
    db_url: str,
    tmp_path: Path,
    examples: Path,
    edits: dict[str, Any] | None = None,
    **extra: Any,
) -> AsyncIterator[Live]:
    settings = live_settings(emulator, db_url, tmp_path, **extra)
    parley = create_app(settings)
    async with parley.router.lifespan_context(parley):
        async with session_scope(parley.state.sessions) as session:
            created = await tokens.create(session, "tests", actor="tests")
        async with (
            Providers(settings) as built,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=parley),
                base_url="http://parley.test",
                headers={"Authorization": f"Bearer {created.token}"},
            ) as client,
        ):
            remote = await apply_examples(parley.state.sessions, built, examples, **(edits or {}))
            yield Live(emulator, parley, settings, client, built, remote)


@pytest.fixture
async def live(
    emulator: RunningEmulator, db_url: str, tmp_path: Path, examples: Path
) -> AsyncIterator[Live]:
    async for built in make_live(emulator, db_url, tmp_path, examples):
        yield built
