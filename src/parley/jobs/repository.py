"""SQL for jobs: insert (deduplicated), claim one due job, finish, fail, list, requeue.

The claim is one statement everywhere: an UPDATE of the oldest due job, guarded by the same
"due" condition, so two runners never take the same job. On PostgreSQL the inner SELECT also
takes the row with FOR UPDATE SKIP LOCKED, so concurrent runners skip each other's rows instead
of waiting; on SQLite writes are serialised, and the guard alone decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from parley.models import Job


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def insert(self, values: dict[str, Any]) -> int | None:
        """The new job's id, or None when a job of that kind and dedupe key exists."""
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = (
            insert(Job)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["kind", "dedupe_key"])
            .returning(Job.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    @staticmethod
    def _due(now: datetime) -> ColumnElement[bool]:
        # A running job whose lease ran out belongs to a runner that died (or hung).
        return or_(
            and_(Job.status == "queued", Job.run_after <= now),
            and_(Job.status == "running", Job.locked_until < now),
        )

    async def claim(self, *, now: datetime, lease_until: datetime, worker: str) -> Job | None:
        pick = select(Job.id).where(self._due(now)).order_by(Job.run_after, Job.id).limit(1)
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        statement = (
            update(Job)
            .where(Job.id == pick.scalar_subquery(), self._due(now))
            .values(
                status="running",
                locked_until=lease_until,
                locked_by=worker,
                attempts=Job.attempts + 1,
                updated_at=now,
            )
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
        job_id = (await self.session.execute(statement)).scalar_one_or_none()
        return None if job_id is None else await self.get(job_id)

    async def get(self, job_id: int) -> Job | None:
        return (
            await self.session.execute(
                select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()

    async def settle(self, job_id: int, worker: str, values: dict[str, Any]) -> bool:
        """Update a job this worker still holds; False if its lease passed to another runner."""
        statement = (
            update(Job)
            .where(Job.id == job_id, Job.locked_by == worker, Job.status == "running")
            .values(locked_until=None, locked_by=None, **values)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    async def find(self, *, status: str | None, kind: str | None, limit: int) -> Sequence[Job]:
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Job.status == status)
        if kind is not None:
            query = query.where(Job.kind == kind)
        return (await self.session.scalars(query)).all()
