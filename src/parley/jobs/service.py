"""Jobs as services see them: enqueue in the caller's unit of work, list, replay a parked job.

`enqueue` never commits: the job becomes visible to runners together with whatever the caller
wrote (a stored webhook event and its processing job commit or vanish together).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.errors import Conflict, InvalidInput, NotFound
from parley.jobs.repository import JobRepository
from parley.jobs.schemas import JobView

STATUSES = ("queued", "running", "done", "parked")
MAX_ERROR = 2000


async def enqueue(
    session: AsyncSession, kind: str, payload: dict[str, Any], *, dedupe_key: str | None = None
) -> int | None:
    """Queue `kind` with `payload` (JSON) to run as soon as a runner is free. With a
    `dedupe_key`, a second enqueue of the same kind and key does nothing and returns None."""
    now = utcnow()
    values = {
        "kind": kind,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "status": "queued",
        "attempts": 0,
        "run_after": now,
        "created_at": now,
        "updated_at": now,
    }
    return await JobRepository(session).insert(values)


async def list_jobs(
    session: AsyncSession, *, status: str | None = None, kind: str | None = None, limit: int = 50
) -> Sequence[JobView]:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown job status {status!r}; known: {', '.join(STATUSES)}")
    rows = await JobRepository(session).find(status=status, kind=kind, limit=limit)
    return [JobView.model_validate(row) for row in rows]


async def replay(session: AsyncSession, job_id: int) -> JobView:
    """Queue a parked (or finished) job again, with a fresh count of attempts."""
    job = await JobRepository(session).get(job_id)
    if job is None:
        raise NotFound(f"no job {job_id}", details={"job": job_id})
    now = utcnow()
    if job.status == "running" and job.locked_until is not None and job.locked_until > now:
        raise Conflict(f"job {job_id} is running now", details={"job": job_id})
    if job.status == "queued":
        return JobView.model_validate(job)
    job.status, job.attempts, job.run_after = "queued", 0, now
    job.locked_by = job.locked_until = job.finished_at = None
    job.updated_at = now
    await session.flush()
    return JobView.model_validate(job)


def error_text(exc: BaseException) -> str:
    """What is kept of a failure for the operator: the type and message, bounded."""
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
