"""One turn of a conversation's transcript: who spoke, what, when, and the tools it used.

Turns are replaced as a whole whenever their conversation is stored again, so `position` is
simply the order the provider gave them in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, JSONType


class ConversationTurn(Base):
    __tablename__ = "conversation_turns"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # agent | user | tool
    text: Mapped[str] = mapped_column(Text, default="")
    offset_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    interrupted: Mapped[bool] = mapped_column(default=False)
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    tool_results: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    latency: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
