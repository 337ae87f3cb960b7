"""Request bodies the emulated API accepts, in Ultravox's camelCase names.

The `ultravox.v1.*` bodies are protobuf messages on the real service, whose JSON parser rejects
unknown fields, so these models forbid extras (a typo in an adapter fails loudly, with a
DRF-shaped 400). Resource bodies served by DRF serializers (`Agent`, `Webhook`) ignore unknown
and read-only fields, as DRF does. Nested configuration is kept as plain JSON and echoed back.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from parley.emulator.ultravox.wire import DURATION

MessageMedium = Literal["MESSAGE_MEDIUM_UNSPECIFIED", "MESSAGE_MEDIUM_VOICE", "MESSAGE_MEDIUM_TEXT"]
Retention = Literal[
    "CALL_RETENTION_POLICY_UNSPECIFIED",
    "CALL_RETENTION_POLICY_RETAIN",
    "CALL_RETENTION_POLICY_AUTO_DELETE",
]
Event = Literal["call.started", "call.joined", "call.ended", "call.billed"]
DURATION_FIELDS = ("joinTimeout", "maxDuration")


class _Proto(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator(*DURATION_FIELDS, mode="after", check_fields=False)
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and not DURATION.match(value):
            raise ValueError("must be a duration such as '30s'")
        return value

    @field_validator("metadata", mode="after", check_fields=False)
    @classmethod
    def _metadata(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            if key.startswith("ultravox."):
                raise ValueError(f"key {key!r}: the 'ultravox.' prefix is reserved")
        return value

    @field_validator("medium", mode="after", check_fields=False)
    @classmethod
    def _medium(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(value) > 1:
            raise ValueError("at most one call medium may be set")
        return value


class CallTemplate(_Proto):
    name: str | None = None
    created: str | None = None
    updated: str | None = None
    medium: dict[str, Any] | None = None
    initialOutputMedium: MessageMedium | None = None
    joinTimeout: str | None = None
    maxDuration: str | None = None
    vadSettings: dict[str, Any] | None = None
    recordingEnabled: bool | None = None
    firstSpeakerSettings: dict[str, Any] | None = None
    systemPrompt: str | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=1.0)
    model: str | None = None
    voice: str | None = None
    externalVoice: dict[str, Any] | None = None
    voiceOverrides: dict[str, Any] | None = None
    languageHint: str | None = None
    timeExceededMessage: str | None = None
    inactivityMessages: list[dict[str, Any]] | None = None
    selectedTools: list[dict[str, Any]] | None = None
    dataConnection: dict[str, Any] | None = None
    contextSchema: dict[str, Any] | None = None
    sharedSecrets: list[str] | None = None
    retentionPolicy: Retention | None = None

    @model_validator(mode="after")
    def _one_voice(self) -> CallTemplate:
        if self.voice and self.externalVoice:
            raise ValueError("set either voice or externalVoice, not both")
        return self


class StartCallRequest(CallTemplate):
    initialMessages: list[dict[str, Any]] | None = None
    firstSpeaker: (
        Literal["FIRST_SPEAKER_UNSPECIFIED", "FIRST_SPEAKER_AGENT", "FIRST_SPEAKER_USER"] | None
    ) = None
    transcriptOptional: bool | None = None
    experimentalSettings: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    initialState: dict[str, Any] | None = None
    callbacks: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _first_speaker_agrees(self) -> StartCallRequest:
        settings = self.firstSpeakerSettings
        if self.firstSpeaker in ("FIRST_SPEAKER_AGENT", "FIRST_SPEAKER_USER") and settings:
            wanted = "user" if self.firstSpeaker == "FIRST_SPEAKER_USER" else "agent"
            if wanted not in settings:
                raise ValueError("firstSpeaker and firstSpeakerSettings must agree")
        return self


class StartAgentCallRequest(_Proto):
    templateContext: dict[str, Any] | None = None
    initialMessages: list[dict[str, Any]] | None = None
    metadata: dict[str, str] | None = None
    medium: dict[str, Any] | None = None
    joinTimeout: str | None = None
    maxDuration: str | None = None
    recordingEnabled: bool | None = None
    initialOutputMedium: MessageMedium | None = None
    firstSpeakerSettings: dict[str, Any] | None = None
    dataConnection: dict[str, Any] | None = None
    experimentalSettings: dict[str, Any] | None = None
    callbacks: dict[str, Any] | None = None
    voice: str | None = None
    voiceOverrides: dict[str, Any] | None = None
    toolOverrides: dict[str, Any] | None = None
    retentionPolicy: Retention | None = None
    sharedSecrets: list[str] | None = None
    agentId: str | None = None


class AgentIn(BaseModel):
    """`Agent` / `PatchedAgent`: read-only fields are accepted and ignored, like DRF."""

    model_config = ConfigDict(extra="ignore")
    name: str | None = Field(default=None, max_length=64)
    callTemplate: CallTemplate | None = None


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    agentId: str | None = None
    url: str | None = Field(default=None, max_length=200)
    secrets: list[str] | None = None
    events: list[Event] | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("Enter a valid URL.")
        return value

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(len(s) > 120 for s in value):
            raise ValueError("Ensure this field has no more than 120 characters.")
        return value


# --- tools (`ultravox.v1.BaseToolDefinition` is a protobuf message: unknown fields fail) --------

Location = Literal[
    "PARAMETER_LOCATION_UNSPECIFIED",
    "PARAMETER_LOCATION_QUERY",
    "PARAMETER_LOCATION_PATH",
    "PARAMETER_LOCATION_HEADER",
    "PARAMETER_LOCATION_BODY",
]
KnownValue = Literal[
    "KNOWN_PARAM_UNSPECIFIED", "KNOWN_PARAM_CALL_ID", "KNOWN_PARAM_CONVERSATION_HISTORY",
    "KNOWN_PARAM_OUTPUT_SAMPLE_RATE", "KNOWN_PARAM_CALL_STATE", "KNOWN_PARAM_CALL_STAGE_ID",
    "KNOWN_PARAM_THREAD_ID", "KNOWN_PARAM_THREAD_STATES", "KNOWN_PARAM_CALL_METADATA",
]  # fmt: skip
Reaction = Literal[
    "AGENT_REACTION_UNSPECIFIED",
    "AGENT_REACTION_SPEAKS",
    "AGENT_REACTION_LISTENS",
    "AGENT_REACTION_SPEAKS_ONCE",
]
MAX_TOOL_TIMEOUT_S = 40.0


class DynamicParameter(_Proto):
    name: str | None = None
    location: Location | None = None
    # `schema` would shadow a BaseModel attribute, hence the alias.
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    required: bool | None = None


class StaticParameter(_Proto):
    name: str | None = None
    location: Location | None = None
    value: Any = None


class AutomaticParameter(_Proto):
    name: str | None = None
    location: Location | None = None
    knownValue: KnownValue | None = None


class ToolRequirements(_Proto):
    httpSecurityOptions: dict[str, Any] | None = None
    requiredParameterOverrides: list[str] | None = None


class HttpToolDetails(_Proto):
    baseUrlPattern: str
    httpMethod: str


class NoDetails(_Proto):
    """`client: {}` / `dataConnection: {}`: empty messages."""


class StaticToolResponse(_Proto):
    responseText: str | None = None


class ToolDefinition(_Proto):
    modelToolName: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    dynamicParameters: list[DynamicParameter] | None = None
    staticParameters: list[StaticParameter] | None = None
    automaticParameters: list[AutomaticParameter] | None = None
    requirements: ToolRequirements | None = None
    timeout: str | None = None
    precomputable: bool | None = None
    http: HttpToolDetails | None = None
    client: NoDetails | None = None
    dataConnection: NoDetails | None = None
    defaultReaction: Reaction | None = None
    staticResponse: StaticToolResponse | None = None

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: str | None) -> str | None:
        if value is not None:
            if not DURATION.match(value):
                raise ValueError("must be a duration such as '2.5s'")
            if not 0 < float(value[:-1]) <= MAX_TOOL_TIMEOUT_S:
                raise ValueError(f"must be more than 0s and at most {MAX_TOOL_TIMEOUT_S:g}s")
        return value

    @model_validator(mode="after")
    def _one_implementation(self) -> ToolDefinition:
        kinds = [k for k in ("http", "client", "dataConnection") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("Exactly one of http, client or dataConnection must be set.")
        if kinds[0] != "http":
            # Documented: client and data-connection tools take body parameters only.
            locations = [p.location for p in self.dynamicParameters or []]
            locations += [p.location for p in self.staticParameters or []]
            locations += [p.location for p in self.automaticParameters or []]
            body = (None, "PARAMETER_LOCATION_UNSPECIFIED", "PARAMETER_LOCATION_BODY")
            if any(loc not in body for loc in locations):
                raise ValueError(f"{kinds[0]} tools accept only body parameters.")
        return self

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class ToolIn(BaseModel):
    """`Tool` (a DRF serializer): read-only fields are ignored; POST and PUT need both fields."""

    model_config = ConfigDict(extra="ignore")
    name: str | None = Field(default=None, min_length=1, max_length=40)
    definition: ToolDefinition | None = None
