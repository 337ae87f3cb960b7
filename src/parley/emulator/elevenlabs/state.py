"""Everything the emulated ElevenLabs workspace holds, as pydantic models (persistable as JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ElevenLabsState(BaseModel):
    # Filled in by the resource modules: agents (with branches, versions, deployments),
    # conversations, tools, knowledge base, tests, phone numbers, batch calls, settings,
    # workspace webhooks and secrets.
    agents: dict[str, Any] = Field(default_factory=dict)
    conversations: dict[str, Any] = Field(default_factory=dict)
