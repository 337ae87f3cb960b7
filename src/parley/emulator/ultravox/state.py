"""Everything the emulated Ultravox account holds, as pydantic models (persistable as JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class UltravoxState(BaseModel):
    # Filled in by the resource modules: agents, calls (with messages), tools, webhooks...
    agents: dict[str, Any] = Field(default_factory=dict)
    calls: dict[str, Any] = Field(default_factory=dict)
