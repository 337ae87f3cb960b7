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
