"""aiosqlite connections that make fewer trips to their thread: quick reads make none.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter makes
four such calls per statement (create a cursor, execute, fetch the rows, close the cursor).
Each trip is a queue hand-off, a wake-up of a sleeping thread and of the event loop, and two
changes of the GIL's owner, which cost far more than an indexed SQLite query itself: measured on
the conversation-start path, a trip cost more CPU than the query, and the server spent most of
its time on them. Here:

- the cursor SQLAlchemy gets does all four calls in one trip and keeps the rows (SQLAlchemy
  buffers every row of a non-server-side cursor anyway);
- a read (SELECT, WITH) is first tried on the event loop's own thread, with SQLite's busy
  timeout off (on again, in the same trip, before anything runs on the thread) and a budget
  of virtual-machine steps: an indexed lookup is done in tens of microseconds with no trip at
  all, and a read that would wait for a lock or runs long is stopped (a read has no side
  effects) and run on the thread as before, so the loop is never held for more than about a
  millisecond. Writes and COMMIT always go to the thread, since they
  may wait for the write lock or the disk;
- COMMIT or ROLLBACK outside a transaction, which sqlite3 would skip, skip the trip too (the
  pool rolls back every connection it takes back).

Everything else is aiosqlite's own connection.

One difference: a server-side cursor (`stream_results`) is buffered whole too; Parley reads
large results page by page instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import URL

Outcome = tuple[Any, int, int | None, list[Any]]  # description, rowcount, lastrowid, rows
READS = ("SELECT", "WITH")
# A read runs on the loop's own thread while it stays under STEP * INLINE_STEPS virtual-machine
# steps (an indexed lookup takes a few hundred; the budget is about a millisecond).
STEP = 1000
INLINE_STEPS = 100
BUSY, LOCKED, INTERRUPT = 5, 6, 9  # SQLite's primary result codes
BUSY_TIMEOUT_MS = 5000  # how long a statement on the connection's thread waits for a lock
T = TypeVar("T")


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> Outcome:
    """On the connection's thread: the statement, its rows, and what DBAPI callers read after."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class Cursor:
    """The async DBAPI cursor SQLAlchemy's aiosqlite adapter expects, one trip per execute."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(self, sql: str, parameters: Any, many: bool) -> Cursor:
        outcome = await self._connection.on_thread(_run, sql, parameters, many)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        parameters = () if parameters is None else parameters
        if sql.lstrip()[:6].upper() in READS:
            outcome = self._connection.read_here(sql, parameters)
            if outcome is not None:
                self.description, self.rowcount, self.lastrowid, self._rows = outcome
                return self
        return await self._call(sql, parameters, False)

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> Cursor:
        return await self._call(sql, parameters, True)

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class Connection(aiosqlite.Connection):
    """Reads on the loop's thread run with SQLite's busy timeout off; whatever goes to the
    connection's thread runs with it on. The setting is changed only when the side changes
    (a pragma is a statement of its own), so a run of reads pays for it once."""

    _waits = True  # the busy timeout is on (`_sqlite_pragmas` sets it when connecting)

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)

    async def on_thread(self, function: Callable[..., T], *args: Any) -> T:
        """`function(sqlite3_connection, *args)` on the connection's thread, waiting for locks."""
        conn, wait = self._conn, not self._waits
        self._waits = True

        def call() -> T:
            if wait:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            return function(conn, *args)

        execute: Any = self._execute  # aiosqlite's `_execute` is untyped
        result: T = await execute(call)
        return result

    def read_here(self, sql: str, parameters: Any) -> Outcome | None:
        """Run a read on the event loop's thread if it is quick: None (nothing done) when it
        would wait for a lock or outgrows `INLINE_STEPS`, so it is run on the thread instead.
        Reads have no side effects, so being stopped half-way and run again is harmless."""
        conn = self._conn
        steps = 0

        def over_budget() -> bool:
            nonlocal steps
            steps += 1
            return steps > INLINE_STEPS

        if self._waits:  # SQLite's busy handler would sleep right here, and so would the server
            conn.execute("PRAGMA busy_timeout = 0")
            self._waits = False
        conn.set_progress_handler(over_budget, STEP)
        try:
            return _run(conn, sql, parameters, False)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in (BUSY, LOCKED, INTERRUPT):
                return None
            raise
        finally:
            conn.set_progress_handler(None, 0)

    async def commit(self) -> None:
        # Read on the loop's thread: SQLAlchemy runs one call at a time per connection, so
        # nothing is executing on it now (sqlite3 is opened with check_same_thread=False).
        if self._conn.in_transaction:
            await self.on_thread(sqlite3.Connection.commit)

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await self.on_thread(sqlite3.Connection.rollback)


def creator(url: URL) -> Callable[[], Any]:
    """`async_creator` for `create_async_engine`: this module's connection, opened with the
    arguments SQLAlchemy's aiosqlite dialect would pass for `url`."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(url)
    kwargs = {**kwargs, "check_same_thread": False}
    connect_file: Any = sqlite3.connect  # SQLAlchemy's arguments are not typed per overload

    def open_file() -> sqlite3.Connection:
        opened: sqlite3.Connection = connect_file(*args, **kwargs)
        return opened

    async def connect() -> Connection:
        connection = Connection(open_file, 64)
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
        await connection
        return connection

    return connect
