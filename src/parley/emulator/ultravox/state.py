"""Everything the emulated Ultravox account holds, as pydantic models (persistable as JSON).

Records keep timestamps as unix seconds and the caller's configuration in Ultravox's own
camelCase wire form (`config`, `call_template`), because that is what the API echoes back; the
JSON views are built by `views.py`. Write-only values (`sharedSecrets`) live in their own
fields so they can never leak into a response.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class AgentRecord(BaseModel):
    agent_id: str
    name: str = ""
    created: float
    updated: float
    published_revision_id: str
    call_template: dict[str, Any] = Field(default_factory=dict)
    shared_secrets: list[str] = Field(default_factory=list)


class MessageRecord(BaseModel):
    role: str  # MESSAGE_ROLE_*
    text: str
    medium: str = "MESSAGE_MEDIUM_VOICE"
    invocation_id: str | None = None
    tool_name: str | None = None
    error_details: str | None = None
    call_state: dict[str, Any] | None = None
    # Offsets from `joined`; None for the call's initialMessages.
    start_s: float | None = None
    end_s: float | None = None


class ResolvedTool(BaseModel):
    name: str  # model-facing name
    kind: str  # "client", "http", "dataConnection" or "builtin"
    definition: dict[str, Any] = Field(default_factory=dict)
    auth_tokens: dict[str, str] = Field(default_factory=dict)
    parameter_overrides: dict[str, Any] = Field(default_factory=dict)


class CallRecord(BaseModel):
    call_id: str
    stage_id: str = ""
    created: float
    joined: float | None = None
    ended: float | None = None
    end_reason: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    # Echoed configuration, already rendered with templateContext, in wire names.
    config: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, str] = Field(default_factory=dict)
    template_context: dict[str, Any] = Field(default_factory=dict)
    initial_state: dict[str, Any] = Field(default_factory=dict)
    call_state: dict[str, Any] = Field(default_factory=dict)
    experimental_settings: Any = None
    shared_secrets: list[str] = Field(default_factory=list)
    join_url: str | None = None
    greeting: str | None = None
    user_first: bool = False
    join_timeout_s: float = 30.0
    max_duration_s: float = 3600.0
    billed_duration_s: float | None = None
    billing_status: str = "BILLING_STATUS_PENDING"
    billed_side_input_tokens: int | None = None
    billed_side_output_tokens: int | None = None
    summary: str | None = None
    short_summary: str | None = None
    client_version: str | None = None
    initial_messages: list[MessageRecord] = Field(default_factory=list)
    messages: list[MessageRecord] = Field(default_factory=list)
    # selectedTools resolved at call start (durable definitions copied), so that later edits to
    # a durable tool do not change a live call, as on the real service.
    tools: list[ResolvedTool] = Field(default_factory=list)


class ToolRecord(BaseModel):
    tool_id: str
    name: str
    created: float
    definition: dict[str, Any] = Field(default_factory=dict)


class DocumentRecord(BaseModel):
    """A document of a corpus source; `ready_at`/`retired_at` bound when queries can see it."""

    document_id: str
    corpus_id: str
    source_id: str | None = None  # None while an upload is not yet attached to a source
    created: float
    mime_type: str = "text/plain"
    title: str | None = None
    public_url: str | None = None
    text: str = ""
    example_queries: list[str] = Field(default_factory=list)
    ready_at: float | None = None
    retired_at: float | None = None


class SourceRecord(BaseModel):
    source_id: str
    corpus_id: str
    created: float
    name: str = ""
    description: str = ""
    spec: dict[str, Any] = Field(default_factory=dict)  # {"crawl": ...} | {"upload": ...} | ...
    ready_at: float
    # When the previous contents became ready: non-None means the source is UPDATING, not new.
    previous_ready_at: float | None = None


class CorpusRecord(BaseModel):
    corpus_id: str
    created: float
    name: str = ""
    description: str = ""


class WebhookRecord(BaseModel):
    webhook_id: str
    agent_id: str | None = None
    created: float
    url: str
    secrets: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)


class VoiceRecord(BaseModel):
    voice_id: str
    name: str
    description: str | None = None
    primary_language: str | None = "en"
    provider: str | None = "cartesia"
    ownership: str = "public"
    billing_style: str = "VOICE_BILLING_STYLE_INCLUDED"
    definition: dict[str, Any] = Field(default_factory=dict)


class UltravoxState(BaseModel):
    agents: dict[str, AgentRecord] = Field(default_factory=dict)
    calls: dict[str, CallRecord] = Field(default_factory=dict)
    webhooks: dict[str, WebhookRecord] = Field(default_factory=dict)
    # Seeded voices, on top of the built-in catalogue in voices.py.
    voices: dict[str, VoiceRecord] = Field(default_factory=dict)
    tools: dict[str, ToolRecord] = Field(default_factory=dict)
    corpora: dict[str, CorpusRecord] = Field(default_factory=dict)
    sources: dict[str, SourceRecord] = Field(default_factory=dict)
    documents: dict[str, DocumentRecord] = Field(default_factory=dict)
