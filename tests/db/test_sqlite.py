"""Parley's SQLite connections: quick reads on the loop's thread, anything slow or locked on the
connection's thread, the loop never held for long, and results the same either way."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.db.engine import create_engine

COUNT_TO = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n)"


def engine_at(path: Path, *, journal: str = "WAL") -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")

    @event.listens_for(engine.sync_engine, "connect")
    def thread_function(dbapi_connection: object, _record: object) -> None:
        # Which thread ran a statement: SQL functions run where the statement runs.
        dbapi_connection.create_function("thread", 0, threading.get_ident)  # type: ignore[attr-defined]
        if journal != "WAL":  # after Parley's own pragmas, which choose WAL
            dbapi_connection.cursor().execute(f"PRAGMA journal_mode = {journal}")  # type: ignore[attr-defined]

    return engine


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = engine_at(tmp_path / "x.db")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        await conn.execute(text("INSERT INTO t VALUES (1, 'a'), (2, 'b')"))
    yield engine
    await engine.dispose()


async def test_a_quick_read_runs_on_the_loops_thread(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as conn:
        rows = (await conn.execute(text("SELECT v, thread() FROM t ORDER BY id"))).all()
    assert [v for v, _ in rows] == ["a", "b"]
    assert {t for _, t in rows} == {threading.get_ident()}


async def test_writes_run_on_the_connections_thread(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as conn:
        result = await conn.execute(text("INSERT INTO t (v) VALUES (thread()) RETURNING v"))
        (where,) = result.scalars()
    assert int(where) != threading.get_ident()


async def test_a_long_read_is_stopped_and_finished_on_the_connections_thread(
    sqlite_engine: AsyncEngine,
) -> None:
    query = text(f"{COUNT_TO} SELECT count(*), max(x), thread() FROM c")
    async with sqlite_engine.connect() as conn:
        count, top, where = (await conn.execute(query, {"n": 300_000})).one()
    assert (count, top) == (300_000, 300_000)
    assert where != threading.get_ident()


async def test_a_read_that_would_wait_for_a_lock_waits_off_the_loop(tmp_path: Path) -> None:
    """In WAL mode readers never wait for a writer; with a rollback journal they do, which
    is how this test makes a read wait."""
    engine = engine_at(tmp_path / "j.db", journal="DELETE")
    async with engine.begin() as conn:  # the pool keeps this connection for the read below
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        await conn.execute(text("INSERT INTO t VALUES (1, 'a'), (2, 'b')"))
    holder = sqlite3.connect(tmp_path / "j.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO t (v) VALUES ('held')")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beating = asyncio.create_task(ticker())
    asyncio.get_running_loop().call_later(0.3, lambda: (holder.commit(), holder.close()))
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT v, thread() FROM t ORDER BY id"))).all()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
    finally:
        beating.cancel()
        await engine.dispose()
    assert [v for v, _ in rows] == ["a", "b", "held"]  # it waited for the lock, then read
    assert rows[0][1] != threading.get_ident()
    assert ticks >= 10  # the loop went on meanwhile
    assert busy == 5000  # what runs on the thread runs with the busy timeout on


async def test_a_write_after_quick_reads_waits_for_the_lock(sqlite_engine: AsyncEngine) -> None:
    """Quick reads leave the busy timeout off on their connection; the next statement sent to
    the thread turns it back on first, so a write still waits for another writer's lock."""
    path = sqlite_engine.url.database
    assert path is not None
    async with sqlite_engine.connect() as conn:
        (where,) = (await conn.execute(text("SELECT thread()"))).one()
        assert where == threading.get_ident()  # read here, with the busy timeout off
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock for 0.3 s
        holder.execute("INSERT INTO t (v) VALUES ('first')")
        asyncio.get_running_loop().call_later(0.3, lambda: (holder.commit(), holder.close()))
        await conn.execute(text("INSERT INTO t (v) VALUES ('second')"))  # waits, not refused
        await conn.commit()
        values = (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert values == ["a", "b", "first", "second"]


async def test_the_server_keeps_its_pool_of_connections(tmp_path: Path) -> None:
    """Connections beyond the pool are closed after each use (a new thread, file and pragmas
    for the next request), so the server's engine keeps `database_pool_size` of them."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", pool_size=12)
    try:
        held = [await engine.connect() for _ in range(12)]
        for conn in held:
            await conn.close()
        assert engine.pool.checkedin() == 12  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_commit_and_rollback_work_with_and_without_a_transaction(
    sqlite_engine: AsyncEngine,
) -> None:
    async with sqlite_engine.connect() as conn:
        await conn.commit()  # nothing to commit
        await conn.execute(text("INSERT INTO t (v) VALUES ('gone')"))
        await conn.rollback()
        await conn.execute(text("INSERT INTO t (v) VALUES ('kept')"))
        await conn.commit()
        await conn.rollback()  # nothing to roll back
        values = (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert values == ["a", "b", "kept"]
