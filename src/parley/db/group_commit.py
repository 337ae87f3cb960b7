"""Group commit: concurrent writers share one transaction, and each is answered only after that
transaction has committed.

A burst of small writes (webhook deliveries, conversation starts) would otherwise cost one
transaction each and, on SQLite, one turn each at the database's single write lock, taken through
its busy handler (which sleeps in growing steps) or refused outright. Here each caller adds its
item to a pending list and waits for its turn at one lock; whoever holds the lock takes every
item pending at that moment and writes them together in one transaction (`write`, a few
statements whatever the batch size). Callers whose items went into that batch find their answer
ready. No background task is needed (the first waiter does the work), so nothing has to be
started or stopped, and a lone request is written at once, without waiting for company.

If a batch fails, its items are written again one by one, so one bad item cannot fail the
others; an item that still fails raises in its own caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Pending(Generic[T, R]):
    item: T
    future: asyncio.Future[R]


class GroupCommit(Generic[T, R]):
    """Writes items for one engine in shared transactions; a subclass says how (`write`).
    Share one instance per engine and process."""

    max_batch = 200  # items per transaction: bounds a statement's parameters

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._pending: list[Pending[T, R]] = []
        self._lock = asyncio.Lock()
        self.batches = 0  # how many transactions were used (for tests and benchmarks)

    async def write(self, conn: AsyncConnection, items: Sequence[T]) -> list[R]:
        """Write `items` in `conn`'s open transaction; one answer per item, in order."""
        raise NotImplementedError

    async def submit(self, item: T) -> R:
        """Write `item` with whatever else is pending; returns once it is committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append(Pending(item, future))
        async with self._lock:
            while not future.done():
                batch = self._pending[: self.max_batch]
                self._pending = self._pending[self.max_batch :]
                if not batch:  # ours is in a batch whose writer was cancelled; it carries on
                    await asyncio.wait({future})
                    break
                # Shielded: a request cancelled while it writes for others must not abort them.
                await asyncio.shield(self._flush(batch))
        return future.result()

    async def _flush(self, batch: list[Pending[T, R]]) -> None:
        try:
            await self._write(batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            for one in batch:  # find the bad item; the others are still written
                try:
                    await self._write([one])
                except Exception as single:
                    one.future.set_exception(single)

    async def _write(self, batch: list[Pending[T, R]]) -> None:
        self.batches += 1
        async with self.engine.begin() as conn:
            results = await self.write(conn, [one.item for one in batch])
        for one, result in zip(batch, results, strict=True):
            if not one.future.done():
                one.future.set_result(result)
