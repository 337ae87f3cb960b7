"""What the agents domain returns: the shapes the API serves and the CLI prints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from parley.agents.diff import FieldChange

ItemT = TypeVar("ItemT")


class VersionSummary(BaseModel):
    number: int
    content_hash: str
    author: str
    message: str
    git_commit: str | None
    git_dirty: bool
    source_path: str | None
    rollback_of: int | None
    created_at: datetime
    current: bool = False


class VersionDetail(VersionSummary):
    agent: str
    spec: dict[str, Any]


class AgentSummary(BaseModel):
    name: str
    description: str
    tags: list[str]
    targets: list[str]
    metadata: dict[str, Any]
    current_version: int
    content_hash: str
    archived: bool
    created_at: datetime
    updated_at: datetime


class AgentDetail(AgentSummary):
    spec: dict[str, Any]


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = None


PlanAction = Literal["create", "update", "unchanged", "restore"]


class PlanItem(BaseModel):
    name: str
    action: PlanAction
    file: str | None = None
    current_version: int | None = None
    content_hash: str
    changes: list[FieldChange] = Field(default_factory=list)


class AppliedItem(BaseModel):
    name: str
    action: PlanAction
    file: str | None = None
    version: int
    content_hash: str


class ApplyReport(BaseModel):
    items: list[AppliedItem]

    def count(self, action: PlanAction) -> int:
        return sum(item.action == action for item in self.items)


class VersionDiff(BaseModel):
    agent: str
    from_version: int
    to_version: int
    changes: list[FieldChange]
