"""The persisted job runner on both databases: retries, parking, replay, expired leases."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.config import settings_with
from parley.db.base import utcnow
from parley.db.engine import session_scope
from parley.jobs import enqueue
from parley.jobs import service as jobs
from parley.jobs.runner import Runner
from parley.jobs.schemas import JobContext

Sessions = async_sessionmaker[AsyncSession]


class Clock:
    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=1)  # jobs enqueued from now on are due

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def runner(sessions: Sessions, tmp_path: Path, clock: Clock, calls: list[Any], **kw: Any) -> Runner:
    async def flaky(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
        calls.append(payload)
        if payload.get("fail"):
            raise RuntimeError("provider said no")

    settings = settings_with(data_dir=tmp_path, job_max_attempts=3, job_backoff_s=10, **kw)
    return Runner(sessions, JobContext(settings), handlers={"t": flaky}, clock=clock, worker="w1")


async def test_retry_backoff_park_and_replay(sessions: Sessions, tmp_path: Path) -> None:
    clock, calls = Clock(), []
    run = runner(sessions, tmp_path, clock, calls)
    async with session_scope(sessions) as session:
        job_id = await enqueue(session, "t", {"fail": True}, dedupe_key="k")
        assert await enqueue(session, "t", {"fail": True}, dedupe_key="k") is None
        await enqueue(session, "t", {"ok": 1})
    first = await run.run_once()
    assert (first.done, first.retried) == (1, 1)
    assert (await run.run_once()).retried == 0  # not due before its backoff
    clock.advance(11.5)
    assert (await run.run_once()).retried == 1
    clock.advance(23)
    assert (await run.run_once()).parked == 1
    async with session_scope(sessions) as session:
        (parked,) = await jobs.list_jobs(session, status="parked")
    assert (parked.id, parked.attempts) == (job_id, 3)
    assert parked.last_error == "RuntimeError: provider said no"
    clock.advance(10_000)
    assert (await run.run_once()).done == 0  # parked jobs stay parked
    async with session_scope(sessions) as session:
        assert job_id is not None
        await jobs.replay(session, job_id)
    calls.clear()
    clock.advance(1)
    assert (await run.run_once()).retried == 1
    assert calls == [{"fail": True}]


async def test_an_expired_lease_is_claimed_again(sessions: Sessions, tmp_path: Path) -> None:
    clock, calls = Clock(), []
    async with session_scope(sessions) as session:
        await enqueue(session, "t", {"n": 1})
    dead = runner(sessions, tmp_path, clock, calls, job_lease_s=60)
    async with session_scope(sessions) as session:  # claim as a runner that then dies
        from parley.jobs.repository import JobRepository

        job = await JobRepository(session).claim(
            now=clock(), lease_until=clock() + timedelta(seconds=60), worker="dead"
        )
        assert job is not None
    alive = Runner(sessions, dead.context, handlers=dead.handlers, clock=clock, worker="alive")
    assert (await alive.run_once()).done == 0  # the lease still holds
    clock.advance(61)
    assert (await alive.run_once()).done == 1
    assert calls == [{"n": 1}]
    async with session_scope(sessions) as session:
        (done,) = await jobs.list_jobs(session, status="done")
    assert done.attempts == 2


async def test_two_runners_never_take_the_same_job(sessions: Sessions, tmp_path: Path) -> None:
    import asyncio

    clock = Clock()
    async with session_scope(sessions) as session:
        for n in range(20):
            await enqueue(session, "t", {"n": n})
    calls: list[Any] = []
    one = runner(sessions, tmp_path, clock, calls)
    two = Runner(sessions, one.context, handlers=one.handlers, clock=clock, worker="w2")
    reports = await asyncio.gather(one.run_once(), two.run_once())
    assert sum(r.done for r in reports) == 20
    assert sorted(c["n"] for c in calls) == list(range(20))


async def test_the_app_runs_jobs_in_process(db_url: str, tmp_path: Path) -> None:
    import asyncio

    from parley.app import create_app

    app = create_app(settings_with(database_url=db_url, data_dir=tmp_path, job_poll_s=0.02))
    async with app.router.lifespan_context(app):
        seen: list[Any] = []

        async def handler(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
            seen.append(payload)

        app.state.job_runner.handlers["t"] = handler
        async with session_scope(app.state.sessions) as session:
            await enqueue(session, "t", {"x": 1})
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.02)
        assert seen == [{"x": 1}]
