"""What the start endpoints take and answer (no vendor field names: see providers/)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StrictStr

Value = StrictStr | StrictBool | StrictInt | StrictFloat


class StartBase(BaseModel):
    agent: str = Field(min_length=1, max_length=64, description="The Parley agent's name.")
    target: Literal["elevenlabs", "ultravox"] | None = Field(
        default=None, description="Provider; may be left out when the agent is live on one."
    )
    user_id: str | None = Field(
        default=None, min_length=1, max_length=256, description="Your id for the user (unit)."
    )
    variables: dict[str, Value] = Field(
        default_factory=dict,
        description="Values for variables the agent declares (secret ones included).",
    )


class SessionRequest(StartBase):
    """Start a browser conversation."""


class CallRequest(StartBase):
    """Place an outbound phone call."""

    to: str = Field(min_length=3, max_length=256, description="Callee: E.164 number or SIP URI.")
    line: str = Field(
        min_length=1,
        max_length=256,
        description=(
            "ElevenLabs: the phone number id to call from; Ultravox: the number (or SIP URI)"
            " the call comes from."
        ),
    )
    via: Literal["twilio", "sip_trunk", "telnyx", "plivo", "sip"] | None = Field(
        default=None,
        description="Telephony: ElevenLabs twilio|sip_trunk, Ultravox twilio|telnyx|plivo|sip.",
    )


class StartInfo(BaseModel):
    start_id: str
    agent: str
    version: int
    target: str
    experiment: str | None = None
    arm: str | None = None
    conversation_id: str | None = None


class SessionStarted(StartInfo):
    join_url: str = Field(description="ElevenLabs: the signed WebSocket URL; Ultravox: joinUrl.")
    client_data: dict[str, Any] | None = Field(
        default=None,
        description=(
            "ElevenLabs only: the first WebSocket message the client must send (it holds the"
            " secret variables: hand it to the browser, never log it)."
        ),
    )


class CallStarted(StartInfo):
    call_sid: str | None = None


class InitiationRequest(BaseModel):
    """What ElevenLabs posts when an inbound call rings."""

    caller_id: str | None = None
    agent_id: str = Field(min_length=1, max_length=128)
    called_number: str | None = None
    call_sid: str | None = Field(default=None, max_length=128)
