"""Group commit for webhook intake: concurrent deliveries share one transaction, and every one
of them is answered only after that transaction has committed (`db.group_commit`).

A batch is written with the events in one multi-row INSERT .. ON CONFLICT DO NOTHING, the ids
of the ones that already existed with one SELECT, their processing jobs with one INSERT, one
COMMIT. A row that fails on its own raises in its own request (a 5xx, and the provider delivers
again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from parley.db import group_commit
from parley.webhooks.repository import insert_events


@dataclass(frozen=True)
class Stored:
    event_id: int
    duplicate: bool


@dataclass(frozen=True)
class _Item:
    row: dict[str, Any]
    job: bool  # queue the processing job when the event is new


class GroupCommit(group_commit.GroupCommit[_Item, Stored]):
    """Stores webhook events for one engine; share one instance per app."""

    max_batch = 200  # 9 parameters per row

    def __init__(self, engine: AsyncEngine, job_kind: str) -> None:
        super().__init__(engine)
        self.job_kind = job_kind

    async def store(self, row: dict[str, Any], *, job: bool) -> Stored:
        """Insert `row` unless its (provider, dedupe_key) exists; queue its job if asked.
        Returns once the row is committed."""
        return await self.submit(_Item(row, job))

    async def write(self, conn: AsyncConnection, items: Sequence[_Item]) -> list[Stored]:
        results = await insert_events(conn, [(i.row, i.job) for i in items], self.job_kind)
        return [Stored(event_id, duplicate) for event_id, duplicate in results]
