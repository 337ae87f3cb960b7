"""The job runner: claim a due job, run its handler in its own unit of work, settle it.

A handler's writes and the job's `done` commit together; on failure they roll back and the job
is queued again after an exponential backoff (with jitter, so a provider outage does not make
every job retry in the same second), or parked after `job_max_attempts`. The same runner runs
in-process under the API (`start`/`stop`, embedded mode) or as `parley jobs run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.db.base import utcnow
from parley.db.engine import session_scope
from parley.jobs import kinds, periodic
from parley.jobs.repository import JobRepository
from parley.jobs.schemas import Handler, JobContext, RunReport
from parley.jobs.service import error_text

logger = logging.getLogger("parley.jobs")
MAX_BACKOFF_S = 3600.0
Clock = Callable[[], datetime]


def backoff_s(attempts: int, base_s: float, rng: random.Random) -> float:
    """Delay after the `attempts`-th failure: base, 2x, 4x ... capped at an hour, +0-10%."""
    delay = min(base_s * 2.0 ** max(0, attempts - 1), MAX_BACKOFF_S)
    return float(delay * (1 + 0.1 * rng.random()))


class Runner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        context: JobContext,
        *,
        handlers: Mapping[str, Handler] | None = None,
        worker: str | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.context = context
        self.handlers = dict(handlers) if handlers is not None else kinds.handlers()
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]
        self.clock = clock
        self.rng = random.Random()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self, limit: int = 1000) -> RunReport:
        """Run due jobs until none is left (or `limit` were run)."""
        report = RunReport()
        for _ in range(limit):
            if not await self._run_next(report):
                break
        return report

    async def _run_next(self, report: RunReport) -> bool:
        settings = self.context.settings
        now = self.clock()
        async with session_scope(self.sessions) as session:
            lease = now + timedelta(seconds=settings.job_lease_s)
            job = await JobRepository(session).claim(now=now, lease_until=lease, worker=self.worker)
            if job is None:
                return False
            job_id, kind, payload, attempts = job.id, job.kind, dict(job.payload), job.attempts
        handler = self.handlers.get(kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {kind!r}")
            async with session_scope(self.sessions) as session:
                await handler(session, payload, self.context)
                done = {"status": "done", "finished_at": self.clock(), "updated_at": self.clock()}
                await JobRepository(session).settle(job_id, self.worker, done)
        except Exception as exc:
            park = attempts >= settings.job_max_attempts
            logger.warning("job %s (%s) failed, attempt %s", job_id, kind, attempts, exc_info=exc)
            later = self.clock() + timedelta(
                seconds=backoff_s(attempts, settings.job_backoff_s, self.rng)
            )
            values = {
                "status": "parked" if park else "queued",
                "run_after": later,
                "last_error": error_text(exc),
                "updated_at": self.clock(),
            }
            async with session_scope(self.sessions) as session:
                await JobRepository(session).settle(job_id, self.worker, values)
            report.parked += park
            report.retried += not park
            return True
        report.done += 1
        return True

    async def schedule_periodic(self) -> list[str]:
        async with session_scope(self.sessions) as session:
            return await periodic.schedule_due(session, self.context.settings, self.clock())

    async def run_forever(self) -> None:
        """Queue periodic jobs that are due, run due jobs, then sleep `job_poll_s`, until
        cancelled."""
        while True:
            try:
                await self.schedule_periodic()
                report = await self.run_once()
            except Exception:  # the database went away: keep the runner alive, try again later
                logger.exception("job runner pass failed")
                report = RunReport()
            if not (report.done or report.retried or report.parked):
                await asyncio.sleep(self.context.settings.job_poll_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run_forever(), name="parley-jobs")

    async def stop(self) -> None:
        """Cancel the loop; a job cut off mid-run is taken again once its lease expires."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
