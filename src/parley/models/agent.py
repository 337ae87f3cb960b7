"""An agent: a stable name whose content lives in its immutable versions.

`current_version` is the number of the version that is live in Parley. Labels (tags, targets and
free metadata) are copied from the current version into `agent_labels` so that list filters are
plain indexed joins on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db.base import Base, UTCDateTime, utcnow


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    current_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    labels: Mapped[list[AgentLabel]] = relationship(
        back_populates="agent", cascade="all, delete-orphan", lazy="selectin"
    )


class AgentLabel(Base):
    """One searchable label: `tag`, `target` (a provider) or `meta.<key>`."""

    __tablename__ = "agent_labels"
    __table_args__ = (Index("ix_agent_labels_key_value", "key", "value"),)

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256), primary_key=True)

    agent: Mapped[Agent] = relationship(back_populates="labels")
