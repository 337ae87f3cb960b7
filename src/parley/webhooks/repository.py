"""SQL for webhook events: insert once per (provider, dedupe key), read one, list recent ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import WebhookEvent


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, values: dict[str, Any]) -> int | None:
        """The new event's id, or None when this provider already has that dedupe key.

        ON CONFLICT DO NOTHING (not a failed INSERT) keeps the request's transaction usable
        when two deliveries of one event race each other."""
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(WebhookEvent)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["provider", "dedupe_key"])
            .returning(WebhookEvent.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

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
