"""The async engine and session factory, configured per database.

SQLite gets WAL mode, foreign keys and a busy timeout on every connection so the embedded default
behaves well with a CLI and a server using the same file, through aiosqlite connections that
take one trip to their thread per statement (`db.sqlite`). Services never commit: the request, the
CLI command or the job that owns the session does (`session_scope`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from parley.db import sqlite


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={sqlite.BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


POOL_SIZE = 5  # SQLAlchemy's default: enough for the CLI, jobs and tests


def create_engine(url: str, pool_size: int = POOL_SIZE) -> AsyncEngine:
    """An engine for `url` keeping up to `pool_size` connections open (the server passes
    `database_pool_size`); a SQLite file's directory is created when missing."""
    parsed = make_url(url)
    # A connection beyond the pool is opened for one checkout and closed after it: on the
    # start path that cost more than the request's queries (for SQLite a new thread, the file
    # and four pragmas; for PostgreSQL a connection and its authentication).
    pooling: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 2 * pool_size}
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            pooling = {}  # one shared in-memory connection: nothing to size
        else:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, async_creator=sqlite.creator(parsed), **pooling)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **pooling)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
