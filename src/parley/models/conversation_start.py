"""A conversation Parley started (or was asked to personalise): which route, for whom, how.

One row per start: a browser session, an outbound call, or an inbound call's initiation
webhook. It is the exposure record of the conversation-start flow: the route chosen (agent,
version, target and the provider's ids for it), the experiment arm when there is one, the
unit (caller/user/session) as a keyed hash only, and the non-secret dynamic variables sent.
Secret variables are never stored. `token` is stamped on the conversation itself (an
ElevenLabs dynamic variable, Ultravox `metadata`) so the post-call record finds its start
even when the provider's conversation id was not known at start time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, JSONType, UTCDateTime, utcnow


class ConversationStart(Base):
    __tablename__ = "conversation_starts"
    __table_args__ = (
        Index("ix_conversation_starts_target_remote", "target", "remote_conversation_id"),
        Index("ix_conversation_starts_call_sid", "call_sid"),
        Index("ix_conversation_starts_agent_created", "agent_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # session | call | inbound
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(32))
    remote_agent_id: Mapped[str] = mapped_column(String(128))
    remote_branch_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    remote_version_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    remote_conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    call_sid: Mapped[str | None] = mapped_column(String(128), nullable=True)
    unit_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    unit_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    caller_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    caller_masked: Mapped[str | None] = mapped_column(String(32), nullable=True)
    experiment: Mapped[str | None] = mapped_column(String(128), nullable=True)
    arm: Mapped[str | None] = mapped_column(String(128), nullable=True)
    variables: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16))  # started | failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
