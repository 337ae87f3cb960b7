"""Where a tool or knowledge document lives on a provider, and what Parley last sent for it.

One row per (kind, name, target): the remote id agents reference once compiled, and `payload`,
the middle state of the three-way plan (spec, last applied, live). Unlike agents, resources are
not versioned: a row is overwritten by each apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, JSONType, UTCDateTime, utcnow


class ProviderResource(Base):
    __tablename__ = "provider_resources"
    __table_args__ = (UniqueConstraint("kind", "name", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    target: Mapped[str] = mapped_column(String(32))
    remote_id: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    payload_hash: Mapped[str] = mapped_column(String(71))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
