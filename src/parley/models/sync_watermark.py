"""How far reconciliation has got on each provider.

`synced_until` is the start time from which the next sync lists conversations again (already
pulled back by the overlap window and never past a conversation that was still running);
`cursor` is for providers whose lists resume from an opaque token instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, UTCDateTime, utcnow


class SyncWatermark(Base):
    __tablename__ = "sync_watermarks"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    synced_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cursor: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
