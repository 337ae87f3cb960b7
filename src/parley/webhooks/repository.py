"""SQL for webhook events: insert a batch once per (provider, dedupe key) with their jobs, read
one, list recent ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from parley.db.base import utcnow
from parley.models import Job, WebhookEvent

EVENTS = cast(Table, WebhookEvent.__table__)
JOBS = cast(Table, Job.__table__)
Key = tuple[str, str]  # (provider, dedupe_key)


async def insert_events(
    conn: AsyncConnection, items: Sequence[tuple[dict[str, Any], bool]], job_kind: str
) -> list[tuple[int, bool]]:
    """Insert each (event row, wants a job) unless its key exists; queue a `job_kind` job for
    each new event that wants one (as `jobs.enqueue` would, dedupe key = the event id).
    Returns (event id, duplicate) per item, in order; of two items with one key in the batch,
    the second is the duplicate. Three Core statements at most, whatever the batch size."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    first: dict[Key, dict[str, Any]] = {}
    for row, _ in items:
        first.setdefault((row["provider"], row["dedupe_key"]), row)
    # One statement text for every batch size (cached once compiled); SQLAlchemy sends the rows
    # as one multi-row INSERT .. RETURNING ("insertmanyvalues"). Core, not ORM: no unit of work.
    statement = (
        insert(EVENTS)
        .on_conflict_do_nothing(index_elements=["provider", "dedupe_key"])
        .returning(EVENTS.c.id, EVENTS.c.provider, EVENTS.c.dedupe_key)
    )
    inserted = await conn.execute(statement, list(first.values()))
    new = {(p, k): i for i, p, k in inserted.all()}
    missing = [key for key in first if key not in new]
    old: dict[Key, int] = {}
    if missing:
        query = select(WebhookEvent.id, WebhookEvent.provider, WebhookEvent.dedupe_key).where(
            tuple_(WebhookEvent.provider, WebhookEvent.dedupe_key).in_(missing)
        )
        old = {(p, k): i for i, p, k in (await conn.execute(query)).all()}
    wanted = {(row["provider"], row["dedupe_key"]) for row, job in items if job}
    now = utcnow()
    jobs = [
        {
            "kind": job_kind,
            "payload": {"event_id": event_id},
            "dedupe_key": str(event_id),
            "status": "queued",
            "attempts": 0,
            "run_after": now,
            "created_at": now,
            "updated_at": now,
        }
        for key, event_id in new.items()
        if key in wanted
    ]
    if jobs:
        queue = insert(JOBS).on_conflict_do_nothing(index_elements=["kind", "dedupe_key"])
        await conn.execute(queue, jobs)
    out, seen = [], set()
    for row, _ in items:
        key = (row["provider"], row["dedupe_key"])
        fresh = key in new and key not in seen
        seen.add(key)
        out.append((new[key] if key in new else old[key], not fresh))
    return out


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_key(self, provider: str, dedupe_key: str) -> WebhookEvent | None:
        query = select(WebhookEvent).where(
            WebhookEvent.provider == provider, WebhookEvent.dedupe_key == dedupe_key
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get(self, event_id: int) -> WebhookEvent | None:
        return await self.session.get(WebhookEvent, event_id)

    async def recent(self, limit: int = 50) -> Sequence[WebhookEvent]:
        query = select(WebhookEvent).order_by(WebhookEvent.id.desc()).limit(limit)
        return (await self.session.scalars(query)).all()
