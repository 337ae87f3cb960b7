"""What analytics returns: one `AnalyticsGroup` per version, day or provider (or one overall).

Figures come from per-day rollups plus raw rows for partial days (see `service`). Everything is
exact except percentiles: nearest-rank, within `sketch.RELATIVE_ERROR` (0.99 %) of the exact
value; and the top values of a text field with very many distinct values (`rollups.TOP_KEPT`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

GroupBy = Literal["version", "day", "provider"]
GROUP_BYS: tuple[GroupBy, ...] = ("version", "day", "provider")
FieldKind = Literal["boolean", "number", "string"]


class Percentiles(BaseModel):
    """Nearest-rank percentiles; all null when no value was recorded."""

    count: int = 0
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None


class CostSummary(BaseModel):
    """Cost in one unit (ElevenLabs credits, Ultravox billed seconds: never added together)."""

    unit: str | None
    conversations: int = Field(description="Conversations with a cost in this unit.")
    successful: int = Field(description="Of those, the successful ones.")
    total: float
    per_conversation: float
    per_successful: float | None = Field(description="Null when none was successful.")


class ValueCount(BaseModel):
    value: str
    count: int


class FieldSummary(BaseModel):
    """One data-collection field: true/false counts, a mean, or the five commonest values."""

    field: str
    kind: FieldKind
    count: int = Field(description="Conversations that collected a value for the field.")
    true: int | None = None
    false: int | None = None
    mean: float | None = None
    top: list[ValueCount] | None = None


class AnalyticsGroup(BaseModel):
    key: str | None = Field(
        description="Version number, day (YYYY-MM-DD, UTC) or provider; `all` when not grouped; "
        "null for conversations with no attributed version."
    )
    conversations: int
    successful: int
    failed: int
    success_rate: float | None = Field(
        description="successful / (successful + failed); conversations with no verdict are left "
        "out. Null when none has a verdict."
    )
    duration_s: Percentiles
    latency_s: Percentiles = Field(
        description="Per agent turn: the sum of the turn's latency metrics (ElevenLabs: LLM and "
        "TTS time to first byte). All null when the provider reports none (Ultravox)."
    )
    costs: list[CostSummary]
    termination_reasons: dict[str, int]
    tool_usage: dict[str, int] = Field(description="Tool calls by tool name.")
    data_collection: list[FieldSummary]


class AnalyticsReport(BaseModel):
    agent: str
    version: int | None
    provider: str | None
    since: datetime | None
    until: datetime | None
    group_by: GroupBy | None
    groups: list[AnalyticsGroup]
