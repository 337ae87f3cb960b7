"""Pre-aggregated analytics: one row per (agent, UTC day, version, provider), and dirty marks.

`analytics_rollups.stats` holds everything analytics reports, in a mergeable form (counts, sums,
per-unit costs, termination and tool counts, data-collection tallies and log-bucket histograms
for duration and turn latency: see `parley.analytics.rollups`). `version_number` is 0 for
conversations with no attributed version (key columns cannot be null).

`analytics_dirty` names the (agent, day) buckets whose conversations changed since their
rollups were computed. Database triggers (migration 0007) write it on every insert, update or
delete of a conversation, so no writer can forget; analytics recomputes dirty buckets from the
raw rows before answering. Neither table has a foreign key: a deleted agent's conversations
are re-marked (agent_id set null fires the trigger) and its rollups recomputed to nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, JSONType, UTCDateTime, utcnow


class AnalyticsRollup(Base):
    __tablename__ = "analytics_rollups"

    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    version_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversations: Mapped[int] = mapped_column(Integer)
    stats: Mapped[dict[str, Any]] = mapped_column(JSONType)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnalyticsDirty(Base):
    __tablename__ = "analytics_dirty"

    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    # Bumped by every write: the upsert takes the row's lock on PostgreSQL, which is what
    # keeps a recompute from missing a write that commits while it runs (see rollups.refresh).
    seq: Mapped[int] = mapped_column(Integer, default=1)
