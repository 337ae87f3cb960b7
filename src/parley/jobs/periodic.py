"""Periodic jobs: reconciliation and retention enqueued on a schedule by the job runners.

Each period is a bucket of wall-clock time; the job for a bucket is enqueued with the dedupe key
`periodic:<kind>:<bucket>`, so however many runners (or API processes) look at the clock, each
period runs its job once, and a runner that was down catches up with one job, not a backlog.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings
from parley.jobs.service import enqueue

SYNC = "conversations.sync"
RETENTION = "conversations.retention"
EXPERIMENTS = "experiments.evaluate"


def intervals(settings: Settings) -> dict[str, float]:
    return {
        SYNC: settings.sync_interval_s,
        RETENTION: settings.retention_interval_s,
        EXPERIMENTS: settings.experiments_interval_s,
    }


async def schedule_due(session: AsyncSession, settings: Settings, now: datetime) -> list[str]:
    """Enqueue each periodic job whose current period has none yet; returns the kinds queued."""
    queued = []
    for kind, every in intervals(settings).items():
        if every <= 0:
            continue
        bucket = int(now.timestamp() // every)
        if await enqueue(session, kind, {}, dedupe_key=f"periodic:{kind}:{bucket}") is not None:
            queued.append(kind)
    return queued
