"""Where a Parley version lives on a provider: the remote agent (and version), what was sent.

One row per (agent, target, Parley version) that was applied. `payload` is exactly what Parley
wrote, the middle state of the three-way plan (spec, last applied, live); `live` marks the row
whose remote agent currently serves the agent on that target. ElevenLabs rows of one agent
share a remote agent and differ in remote version; Ultravox rows each have their own agent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, JSONType, UTCDateTime, utcnow


class ProviderAgent(Base):
    __tablename__ = "provider_agents"
    __table_args__ = (
        UniqueConstraint("agent_id", "target", "version_number"),
        Index("ix_provider_agents_agent_target", "agent_id", "target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(32))
    version_number: Mapped[int] = mapped_column(Integer)
    remote_id: Mapped[str] = mapped_column(String(128), index=True)
    remote_version_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    remote_branch_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    payload_hash: Mapped[str] = mapped_column(String(71))
    losses: Mapped[list[str]] = mapped_column(JSONType, default=list)
    live: Mapped[bool] = mapped_column(default=False)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
