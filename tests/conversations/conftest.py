"""Conversations tests: real adapters on the in-process emulator, agents applied through Parley."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.agents import remote, service
from parley.agents.validate import check_paths
from parley.conversations import sync as reconcile
from parley.conversations.schemas import SyncReport
from parley.db.engine import session_scope
from parley.providers.registry import Providers
from tests.providers.conftest import emu, emulator_app, providers

__all__ = ["emu", "emulator_app", "providers"]

Sessions = async_sessionmaker[AsyncSession]
AGENT = "etf-sales-specialist"


async def apply_examples(
    sessions: Sessions, built: Providers, examples: Path, **edits: Any
) -> dict[tuple[str, str], str]:
    """Apply the example agents locally and on both providers: (name, target) -> remote id."""
    specs = []
    for spec in check_paths([examples]).valid:
        data = spec.model_dump()
        data.update(edits.get(spec.name, {}))
        specs.append(service.SourcedSpec(type(spec).model_validate(data)))
    async with session_scope(sessions) as session:
        await service.apply(session, specs, author="t")
        wanted = await remote.desired_for(session, [s.spec.name for s in specs])
        items = await remote.apply(session, built, wanted, author="t")
    return {(i.name, i.target): i.remote_id or "" for i in items}


class Simulator:
    """POST /_emulator/simulate through the emulator's ASGI app."""

    def __init__(self, app: FastAPI) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://emulator.test"
        )

    async def elevenlabs(self, agent_id: str, count: int, **options: Any) -> list[str]:
        body = {"agent_id": agent_id, "count": count, **options}
        answer = await self.client.post(
            "/_emulator/simulate", json={"provider": "elevenlabs", "options": body}
        )
        answer.raise_for_status()
        return [c["conversation_id"] for c in answer.json()["conversations"]]

    async def ultravox(self, agent_id: str, count: int, **options: Any) -> list[str]:
        body = {"agent_id": agent_id, "count": count, **options}
        answer = await self.client.post(
            "/_emulator/simulate", json={"provider": "ultravox", "options": body}
        )
        answer.raise_for_status()
        calls: list[str] = answer.json()["calls"]
        return calls


@pytest.fixture
async def simulator(emulator_app: FastAPI) -> AsyncIterator[Simulator]:
    sim = Simulator(emulator_app)
    async with sim.client:
        yield sim


async def run_sync(sessions: Sessions, built: Providers, **kw: Any) -> SyncReport:
    async with session_scope(sessions) as session:
        return await reconcile.sync(session, built, **kw)
