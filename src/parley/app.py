"""`create_app()`: the FastAPI application with its routers, error handlers and lifespan.

The lifespan opens the database engine (migrating the schema first when `auto_migrate` is on),
the group commit that writes conversation starts (on an engine of its own) and the providers'
connection pools that start routes lend to their adapters, starts the in-process job runner
(embedded mode; `job_runner=false` leaves jobs to `parley jobs run` workers) and stops them all
on shutdown. Tests pass their own settings; `parley serve` uses
the process settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from parley import __version__, http_errors
from parley.api import ROUTERS
from parley.config import Settings, get_settings
from parley.db import migrate
from parley.db.engine import create_engine, session_factory
from parley.jobs.runner import Runner
from parley.jobs.schemas import JobContext
from parley.providers import registry
from parley.sessions.recorder import StartCommit


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.resolved_database_url, settings.database_pool_size)
        if settings.auto_migrate:
            await migrate.ensure_schema(engine)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        # Starts are group-committed on connections of their own: a request waiting for its
        # start's commit still holds its read connection, so with one pool, waiting requests
        # could take every connection while the batch that would answer them waits for one.
        writer = create_engine(settings.resolved_database_url)
        app.state.start_commit = StartCommit(writer)
        app.state.provider_pools = registry.pools()  # lent to each request's `Providers`
        runner = Runner(app.state.sessions, JobContext(settings))
        app.state.job_runner = runner
        if settings.job_runner:
            runner.start()
        try:
            yield
        finally:
            await runner.stop()
            for pool in app.state.provider_pools.values():
                await pool.aclose()
            await writer.dispose()
            await engine.dispose()

    app = FastAPI(
        title="Parley",
        version=__version__,
        description="Control plane for voice AI agents on ElevenLabs and Ultravox.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    http_errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
