"""What the resources flow reports: one line per tool or document and provider."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from parley.agents.diff import FieldChange

ResourceAction = Literal[
    "create", "recreate", "update", "unchanged", "drift", "blocked", "failed", "delete"
]


class ResourceItem(BaseModel):
    kind: str
    name: str
    target: str
    action: ResourceAction
    remote_id: str | None = None
    changes: list[FieldChange] = Field(default_factory=list)
    drift: list[FieldChange] = Field(default_factory=list)
    losses: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    not_kept: list[FieldChange] = Field(default_factory=list)
    adopted: bool = False
    error: str | None = None
