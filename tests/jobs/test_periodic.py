"""Periodic jobs: once per period however many runners look, and the sync job reconciles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.config import settings_with
from parley.db.engine import session_scope
from parley.jobs import periodic
from parley.jobs.runner import Runner
from parley.jobs.schemas import JobContext
from parley.models import Conversation, Job
from tests.providers.conftest import emu, emulator_app, provider_settings

__all__ = ["emu", "emulator_app"]
Sessions = async_sessionmaker[AsyncSession]
# The runner's clock, on a period boundary just ahead of the real clock: jobs are enqueued at
# the real time, so a fixed date would leave them in the runner's future once it has passed.
NOON = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


async def count(sessions: Sessions, kind: str) -> int:
    async with session_scope(sessions) as session:
        total = await session.scalar(select(func.count()).where(Job.kind == kind))
    return int(total or 0)


async def test_each_period_queues_its_job_once(sessions: Sessions, tmp_path: Path) -> None:
    settings = settings_with(
        data_dir=tmp_path, sync_interval_s=900, retention_interval_s=0, experiments_interval_s=0
    )
    for runner_clock in (NOON, NOON + timedelta(seconds=10)):  # two runners, same period
        runner = Runner(sessions, JobContext(settings), clock=lambda c=runner_clock: c)
        await runner.schedule_periodic()
    assert await count(sessions, periodic.SYNC) == 1
    assert await count(sessions, periodic.RETENTION) == 0  # switched off
    later = Runner(sessions, JobContext(settings), clock=lambda: NOON + timedelta(minutes=15))
    assert await later.schedule_periodic() == [periodic.SYNC]
    assert await count(sessions, periodic.SYNC) == 2


async def test_the_sync_job_reconciles_the_providers(
    sessions: Sessions, emulator_app: FastAPI, tmp_path: Path
) -> None:
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as raw:
        created = await raw.post(
            "/elevenlabs/v1/convai/agents/create",
            headers={"xi-api-key": "xi-parley-test"},
            json={"name": "made-elsewhere", "conversation_config": {"agent": {}}},
        )
        agent_id = created.json()["agent_id"]
        await raw.post(
            "/_emulator/simulate",
            json={"provider": "elevenlabs", "options": {"agent_id": agent_id, "count": 3}},
        )
    settings = provider_settings(tmp_path, ultravox_api_key=None)
    context = JobContext(settings, transports={"elevenlabs": transport})
    runner = Runner(sessions, context, clock=lambda: NOON)
    assert periodic.SYNC in await runner.schedule_periodic()
    await runner.run_once()
    async with session_scope(sessions) as session:
        stored = await session.scalar(select(func.count()).select_from(Conversation))
    assert stored == 3
