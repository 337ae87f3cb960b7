"""Schema migrations, run in-process on an async engine (`parley db upgrade`, auto-migrate).

Alembic's scripts live inside the package so an installed Parley can always migrate its own
database. `ensure_schema` is cheap when the schema is current: one query, no Alembic import.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config(connection: Any = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest revision among the migration scripts (read from the files, no database)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT version_num FROM alembic_version"))).first()
    except DBAPIError:
        return None
    return None if row is None else str(row[0])


# Any constant: every Parley process takes the same PostgreSQL advisory lock to migrate.
MIGRATION_LOCK = 0x7061726C6579  # "parley"


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate up; processes starting together on PostgreSQL take turns (advisory lock), and
    each upgrade reads the schema's revision inside that lock, so none runs a step twice."""
    from alembic import command

    async with _file_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(lambda sync: command.upgrade(_config(sync), revision))


@asynccontextmanager
async def _file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """For a SQLite file, an exclusive lock on `<file>.migrate-lock` (other databases: none)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    handle = await asyncio.to_thread(open, f"{database}.migrate-lock", "a")
    try:
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(_config(sync), revision))


async def ensure_schema(engine: AsyncEngine) -> None:
    """Upgrade to head unless the database is already there."""
    if await current_revision(engine) != LATEST_REVISION:
        await upgrade(engine)


# Kept in step with the newest file in migrations/versions by a test, so the fast path in
# `ensure_schema` never has to load Alembic.
LATEST_REVISION = "0011"
