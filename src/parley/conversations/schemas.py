"""What the conversations domain passes around and returns.

`ConversationRecord` is the provider-neutral shape every normaliser produces (from a REST fetch
today, from a post-call webhook later); the store, the API and the CLI read `ConversationSummary`
and `ConversationDetail`. `ConversationRef` is one row of a provider's conversation list, enough
to decide whether the full conversation needs fetching.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from parley.agents.schemas import Page

Role = Literal["agent", "user", "tool"]
Channel = Literal["web", "phone", "sip", "api", "unknown"]
Direction = Literal["inbound", "outbound", "unknown"]
# in_progress and processing are not final: sync skips them until a later run.
Status = Literal["in_progress", "processing", "done", "failed"]
FINAL_STATUSES = ("done", "failed")

__all__ = ["Page"]


class Turn(BaseModel):
    role: Role
    text: str = ""
    offset_s: float | None = None
    interrupted: bool = False
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    tool_results: list[dict[str, Any]] = Field(default_factory=list)
    latency: dict[str, float] = Field(default_factory=dict)


class Criterion(BaseModel):
    result: str  # success | failure | unknown
    rationale: str | None = None


class DataValue(BaseModel):
    value: Any = None
    rationale: str | None = None


class ConversationRecord(BaseModel):
    """A conversation as a normaliser made it: no I/O, secrets already removed.

    `caller_number` is the caller's E.164 number, kept only until the service has hashed it;
    it is never stored or serialised (the raw payload carries the masked form instead).
    """

    provider: str
    remote_id: str
    normaliser_version: int
    remote_agent_id: str | None = None
    remote_agent_name: str | None = None
    remote_branch_id: str | None = None
    remote_version_id: str | None = None
    # Attribution the call itself states (e.g. metadata stamped by Parley when it started it).
    agent_hint: str | None = None
    version_hint: int | None = None
    user_id: str | None = None
    caller_number: str | None = Field(default=None, exclude=True, repr=False)
    caller_masked: str | None = None
    channel: Channel = "unknown"
    direction: Direction = "unknown"
    started_at: datetime
    ended_at: datetime | None = None
    duration_s: float | None = None
    status: Status
    termination_reason: str | None = None
    cost: float | None = None
    cost_unit: str | None = None
    successful: bool | None = None
    summary: str | None = None
    evaluation: dict[str, Criterion] = Field(default_factory=dict)
    data_collection: dict[str, DataValue] = Field(default_factory=dict)
    dynamic_variables: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    has_audio: bool = False
    turns: list[Turn] = Field(default_factory=list)
    raw: dict[str, Any] = Field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


class ConversationRef(BaseModel):
    """One entry of a provider's conversation list.

    `fingerprint` changes whenever the provider's list entry changes (status, analysis, cost),
    so reconciliation refetches a stored conversation only when something moved.
    """

    provider: str
    remote_id: str
    started_at: datetime
    final: bool
    fingerprint: str


class ConversationSummary(BaseModel):
    id: int
    provider: str
    remote_id: str
    agent: str | None
    version: int | None
    remote_agent_id: str | None
    remote_version_id: str | None
    experiment: str | None
    arm: str | None
    user_id: str | None
    caller_hash: str | None
    caller_masked: str | None
    channel: str
    direction: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    status: str
    termination_reason: str | None
    cost: float | None
    cost_unit: str | None
    successful: bool | None
    summary: str | None
    has_audio: bool


class ConversationDetail(ConversationSummary):
    evaluation: dict[str, Any]
    data_collection: dict[str, Any]
    dynamic_variables: dict[str, Any]
    metadata: dict[str, Any]
    normaliser_version: int
    created_at: datetime
    updated_at: datetime
    turns: list[Turn]


class SyncCounts(BaseModel):
    provider: str
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_live: int = 0
    watermark: datetime | None = None


class SyncReport(BaseModel):
    providers: list[SyncCounts] = Field(default_factory=list)

    def total(self, field: str) -> int:
        return sum(int(getattr(p, field)) for p in self.providers)


def fingerprint(*parts: object) -> str:
    """A short digest of the fields whose change means a stored conversation is stale."""
    import hashlib

    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
