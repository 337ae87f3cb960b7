"""A provider webhook as it arrived: verified, stored once, then processed by a job.

`body` is the raw request body (UTF-8 text) exactly as signed, so an event can be processed
again after a fix; after processing it is replaced by a copy with secrets removed (and large
audio dropped), so the table never keeps what the conversation store would not. The dedupe key
(per provider) makes a second delivery of the same event a no-op.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, UTCDateTime, utcnow


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("provider", "dedupe_key"),
        Index("ix_webhook_events_provider_received_at", "provider", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(256))
    remote_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    # pending (a job will process it), processed, recorded (nothing to do), ignored (unknown).
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    scrubbed: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
