"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from `PARLEY_TEST_POSTGRES_URL` (default: the CI machines' server at
127.0.0.1:5432, trust auth, database `test`). Each test run creates its own database there,
migrates it once and empties it between tests; where no server answers, the PostgreSQL half of
each test is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import parley.config
from parley.db import migrate
from parley.db.base import Base
from parley.db.engine import create_engine, session_factory

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "agents"
POSTGRES_ADMIN_URL = os.environ.get(
    "PARLEY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the developer's own data directory or parley.toml."""
    for key in list(os.environ):
        if key.startswith("PARLEY_") and key != "PARLEY_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PARLEY_CONFIG", str(tmp_path / "parley.toml"))
    monkeypatch.setenv("PARLEY_AUTHOR", "tester")
    parley.config.get_settings.cache_clear()
    yield
    parley.config.get_settings.cache_clear()


# Database set-up runs in sync fixtures with its own short event loop, so that `db_url` can pick
# SQLite or PostgreSQL lazily (pytest-asyncio cannot request async fixtures dynamically).


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(statement: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    name = f"parley_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc!r}")
    url = _with_database(POSTGRES_ADMIN_URL, name)
    asyncio.run(_migrate(url))
    try:
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_tables(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database: a SQLite copy, or the run's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "parley.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_empty_tables(url))
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def examples() -> Path:
    return EXAMPLES
