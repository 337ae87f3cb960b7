"""A conversation on any provider, normalised: who, when, how it went, what it cost.

One row per (provider, remote_id), updated in place when a later fetch (or a better normaliser)
knows more. `raw` is the provider's last full payload with secrets removed and the caller's
number masked, so records can be rebuilt when the normaliser improves (`normaliser_version`
says which one wrote the row). Evaluation results and data-collection values are also copied
into `conversation_labels` so list filters are plain indexed joins on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db.base import Base, JSONType, UTCDateTime, utcnow
from parley.models.conversation_turn import ConversationTurn


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("provider", "remote_id"),
        Index("ix_conversations_started_at_id", "started_at", "id"),
        Index("ix_conversations_agent_version", "agent_id", "version_number", "started_at"),
        Index("ix_conversations_provider_started_at", "provider", "started_at"),
        # A unit's history with one agent, read by every conversation start (migration 0011).
        Index("ix_conversations_caller_agent", "caller_hash", "agent_id", "started_at"),
        Index("ix_conversations_user_agent", "user_id", "agent_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    remote_id: Mapped[str] = mapped_column(String(128))
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), nullable=True
    )
    agent_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    remote_agent_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    remote_branch_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    remote_version_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    experiment: Mapped[str | None] = mapped_column(String(128), nullable=True)
    arm: Mapped[str | None] = mapped_column(String(128), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    caller_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    caller_masked: Mapped[str | None] = mapped_column(String(32), nullable=True)
    channel: Mapped[str] = mapped_column(String(16), default="unknown")
    direction: Mapped[str] = mapped_column(String(16), default="unknown")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    termination_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    cost_unit: Mapped[str | None] = mapped_column(String(32), nullable=True)
    successful: Mapped[bool | None] = mapped_column(nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    data_collection: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    dynamic_variables: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    has_audio: Mapped[bool] = mapped_column(default=False)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The provider's list entry when last fetched: a different one means "fetch again".
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    normaliser_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Loaded only when asked for (`show`); replaced with SQL deletes, never through the list.
    turns: Mapped[list[ConversationTurn]] = relationship(
        order_by="ConversationTurn.position",
        lazy="raise",
        passive_deletes=True,
    )


class ConversationLabel(Base):
    """One filterable outcome: `eval.<criterion>` = result, `data.<field>` = value as text."""

    __tablename__ = "conversation_labels"
    __table_args__ = (Index("ix_conversation_labels_key_value", "key", "value"),)

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
