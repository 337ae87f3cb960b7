"""Everything the emulated ElevenLabs workspace holds, as pydantic models (persistable as JSON).

Each resource module defines the models for its own records; this class only gathers them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ElevenLabsState(BaseModel):
    # Agents, branches, versions, drafts, deployments (agents.py)
    agents: dict[str, Any] = Field(default_factory=dict)
    # Conversations with transcripts, analysis, audio metadata (conversations.py, ws.py)
    conversations: dict[str, Any] = Field(default_factory=dict)
    # ConvAI settings, workspace webhooks, secrets (settings.py)
    settings: dict[str, Any] = Field(default_factory=dict)
    webhooks: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, Any] = Field(default_factory=dict)
    # Telephony: outbound calls and batch calling (telephony.py, batch.py)
    batch_calls: dict[str, Any] = Field(default_factory=dict)
    # Tools, knowledge base, agent tests and invocations, phone numbers
    tools: dict[str, Any] = Field(default_factory=dict)
    knowledge_base: dict[str, Any] = Field(default_factory=dict)
    tests: dict[str, Any] = Field(default_factory=dict)
    test_invocations: dict[str, Any] = Field(default_factory=dict)
    phone_numbers: dict[str, Any] = Field(default_factory=dict)
