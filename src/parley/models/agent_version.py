"""An immutable, content-addressed agent version.

`spec` is the normalised, provider-neutral spec (all defaults filled in) and `content_hash` its
SHA-256 over canonical JSON, so equal content always has the same hash. Compiling a version for a
provider reads `spec` only; provider-side ids live in their own tables (later issues), never here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db.base import Base, JSONType, UTCDateTime, utcnow

if TYPE_CHECKING:
    from parley.models.agent import Agent


class AgentVersion(Base):
    __tablename__ = "agent_versions"
    __table_args__ = (UniqueConstraint("agent_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(71), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    author: Mapped[str] = mapped_column(String(256), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    git_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    git_dirty: Mapped[bool] = mapped_column(default=False)
    source_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    rollback_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Only assigned (so new agents get their id on flush); never loaded implicitly.
    agent: Mapped[Agent] = relationship(lazy="raise")
