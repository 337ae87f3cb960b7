"""Group commit for webhook intake: concurrent deliveries share one transaction, and every one
of them is answered only after that transaction has committed.

A burst of provider webhooks would otherwise cost one transaction (and, on SQLite, one turn at
the single write lock) per request. Here each request adds its row to a pending list and waits
for its turn at one lock; whoever holds the lock takes every row pending at that moment and
writes them together: the events with one multi-row INSERT .. ON CONFLICT DO NOTHING, the ids
of the ones that already existed with one SELECT, their processing jobs with one INSERT, one
COMMIT. Requests whose rows went into that batch find their answer ready. No background task
is needed (the first waiter does the work), so nothing has to be started or stopped.

If a batch fails, its rows are written again one by one, so one bad row cannot fail the others;
a row that still fails raises in its own request (a 5xx, and the provider delivers again).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from parley.webhooks.repository import insert_events

MAX_BATCH = 200  # rows per transaction: bounds a statement's parameters (9 per row)


@dataclass(frozen=True)
class Stored:
    event_id: int
    duplicate: bool


@dataclass
class _Pending:
    row: dict[str, Any]
    job: bool  # queue the processing job when the event is new
    future: asyncio.Future[Stored]


class GroupCommit:
    """Stores webhook events for one engine; share one instance per app."""

    def __init__(self, engine: AsyncEngine, job_kind: str) -> None:
        self.engine = engine
        self.job_kind = job_kind
        self._pending: list[_Pending] = []
        self._lock = asyncio.Lock()
        self.batches = 0  # how many transactions were used (for tests and benchmarks)

    async def store(self, row: dict[str, Any], *, job: bool) -> Stored:
        """Insert `row` unless its (provider, dedupe_key) exists; queue its job if asked.
        Returns once the row is committed."""
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(row, job, future))
        async with self._lock:
            while not future.done():
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                if not batch:  # ours is in a batch whose writer was cancelled; it carries on
                    await asyncio.wait({future})
                    break
                # Shielded: a request cancelled while it writes for others must not abort them.
                await asyncio.shield(self._flush(batch))
        return future.result()

    async def _flush(self, batch: list[_Pending]) -> None:
        try:
            await self._write(batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            for item in batch:  # find the bad row; the others are still stored
                try:
                    await self._write([item])
                except Exception as single:
                    item.future.set_exception(single)

    async def _write(self, batch: list[_Pending]) -> None:
        self.batches += 1
        async with self.engine.begin() as conn:
            results = await insert_events(
                conn, [(item.row, item.job) for item in batch], self.job_kind
            )
        for item, (event_id, duplicate) in zip(batch, results, strict=True):
            if not item.future.done():
                item.future.set_result(Stored(event_id, duplicate))
