"""The periodic `experiments.evaluate` job: one look at every running experiment."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.experiments.decisions import evaluate_all
from parley.jobs.schemas import JobContext
from parley.providers.registry import Providers


async def run_job(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    async with Providers(ctx.settings, transports=ctx.transports) as providers:
        await evaluate_all(session, providers=providers)
