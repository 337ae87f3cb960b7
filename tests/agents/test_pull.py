"""Pulling agents made outside Parley: spec files that plan as unchanged, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.agents import pull, remote, service
from parley.agents.validate import check_paths
from parley.db.engine import session_scope
from parley.providers.registry import Providers
from tests.providers.conftest import EL_KEY, UV_KEY, provider_settings

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def providers(emulator_app: FastAPI, tmp_path: Path) -> AsyncIterator[Providers]:
    transport = httpx.ASGITransport(app=emulator_app)
    async with Providers(
        provider_settings(tmp_path), transports={"elevenlabs": transport, "ultravox": transport}
    ) as built:
        yield built


@pytest.fixture
async def raw(emulator_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as c:
        yield c


async def made_elsewhere(raw: httpx.AsyncClient) -> None:
    created = await raw.post(
        "/elevenlabs/v1/convai/agents/create",
        headers={"xi-api-key": EL_KEY},
        json={
            "name": "Front Desk (EU)",
            "tags": ["support"],
            "conversation_config": {
                "agent": {
                    "first_message": "Hello {{customer}}, how can I help?",
                    "language": "de",
                    "prompt": {"prompt": "You run the front desk.", "llm": "gpt-4o",
                               "temperature": 0.4, "tool_ids": ["tool_external"]},
                    "dynamic_variables": {"dynamic_variable_placeholders": {"customer": "guest"}},
                },
                "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM", "model_id": "eleven_turbo_v2_5"},
                "turn": {"turn_timeout": 9},
            },
            "platform_settings": {
                "data_collection": {"wants_callback": {"type": "boolean"}},
            },
        },
    )  # fmt: skip
    created.raise_for_status()
    made = await raw.post(
        "/ultravox/api/agents",
        headers={"X-API-Key": UV_KEY},
        json={
            "name": "night_line",
            "callTemplate": {
                "systemPrompt": "You answer calls at night for {{company}}.",
                "model": "ultravox-v0.7",
                "temperature": 0.2,
                "voice": "Mark",
                "maxDuration": "600s",
            },
        },
    )
    made.raise_for_status()


async def test_pull_then_plan_shows_no_change(
    sessions: Sessions, providers: Providers, raw: httpx.AsyncClient, tmp_path: Path
) -> None:
    await made_elsewhere(raw)
    out = tmp_path / "agents"
    async with session_scope(sessions) as session:
        el = await pull.pull(session, providers, "elevenlabs", out, author="t")
        uv = await pull.pull(session, providers, "ultravox", out, author="t")
    assert [(i.name, i.skipped) for i in el.items] == [("front-desk-eu", None)]
    assert [(i.name, i.skipped) for i in uv.items] == [("night_line", None)]
    report = check_paths([out])
    assert report.error_count == 0
    assert sorted(s.name for s in report.valid) == ["front-desk-eu", "night_line"]
    front = next(s for s in report.valid if s.name == "front-desk-eu")
    assert front.language == "de"
    assert front.variables["customer"].default == "guest"
    assert front.providers.elevenlabs["name"] == "Front Desk (EU)"

    specs = [service.SourcedSpec(s) for s in report.valid]
    async with session_scope(sessions) as session:
        local = await service.plan(session, specs)
        wanted = await remote.desired_for(session, [s.spec.name for s in specs])
        remote_items = await remote.plan(session, providers, wanted)
        again = await pull.pull(session, providers, "elevenlabs", out, author="t")
    assert {i.action for i in local} == {"unchanged"}
    assert {(i.target, i.action) for i in remote_items} == {
        ("elevenlabs", "unchanged"),
        ("ultravox", "unchanged"),
    }
    assert again.items == []  # already managed: nothing more to pull
