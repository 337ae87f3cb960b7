"""How long conversations and their recordings are kept, per Parley agent or by default.

`agent` is a Parley agent name, or `*` for the default that applies to every conversation whose
agent has no row of its own (including conversations attributed to no agent). A NULL number of
days means "keep forever". An agent's row replaces the default as a whole, so an agent can be
exempted from a default limit by giving it a row with NULLs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, UTCDateTime, utcnow

DEFAULT_POLICY = "*"


class RetentionPolicy(Base):
    __tablename__ = "retention_policies"

    agent: Mapped[str] = mapped_column(String(128), primary_key=True)
    audio_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conversation_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(256), default="")
