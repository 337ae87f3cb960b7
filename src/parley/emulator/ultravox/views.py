"""JSON views of the stored records, shaped exactly like the Ultravox API's responses.

One function per resource (`Agent`, `Call`, `ultravox.v1.Message`); the webhook and voice
views live next to their routes. Required-but-nullable fields are always present (as null);
optional non-nullable ones are left out when unset, as the real serializers do.
"""

from __future__ import annotations

from typing import Any

from parley.emulator.ultravox.state import AgentRecord, CallRecord, MessageRecord, UltravoxState
from parley.emulator.ultravox.wire import duration, iso

RETENTION = {
    "CALL_RETENTION_POLICY_RETAIN": "retain",
    "CALL_RETENTION_POLICY_AUTO_DELETE": "auto_delete",
}
# Echoed configuration: wire name -> default when the call did not set it.
ECHOED: dict[str, Any] = {
    "inactivityMessages": [],
    "languageHint": None,
    "medium": None,
    "model": "ultravox-v0.7",
    "recordingEnabled": False,
    "systemPrompt": None,
    "temperature": 0.0,
    "timeExceededMessage": None,
    "voice": None,
    "transcriptOptional": True,
    "vadSettings": None,
}
OPTIONAL = ("externalVoice", "voiceOverrides", "callbacks")


def agent_view(state: UltravoxState, agent: AgentRecord) -> dict[str, Any]:
    calls = sum(1 for c in state.calls.values() if c.agent_id == agent.agent_id)
    template = {**agent.call_template, "created": iso(agent.created), "updated": iso(agent.updated)}
    return {
        "agentId": agent.agent_id,
        "publishedRevisionId": agent.published_revision_id,
        "name": agent.name,
        "created": iso(agent.created),
        "callTemplate": template,
        "statistics": {"calls": calls},
    }


def call_view(call: CallRecord) -> dict[str, Any]:
    config = call.config
    settings = config.get("firstSpeakerSettings") or {"agent": {}}
    body: dict[str, Any] = {
        "callId": call.call_id,
        "clientVersion": call.client_version,
        "created": iso(call.created),
        "joined": iso(call.joined) if call.joined is not None else None,
        "ended": iso(call.ended) if call.ended is not None else None,
        "endReason": call.end_reason,
        "billedDuration": (
            duration(call.billed_duration_s) if call.billed_duration_s is not None else None
        ),
        "billedSideInputTokens": call.billed_side_input_tokens,
        "billedSideOutputTokens": call.billed_side_output_tokens,
        "billingStatus": call.billing_status,
        "firstSpeaker": "FIRST_SPEAKER_USER" if "user" in settings else "FIRST_SPEAKER_AGENT",
        "firstSpeakerSettings": settings,
        "initialOutputMedium": _output_medium(config.get("initialOutputMedium")),
        "joinTimeout": duration(call.join_timeout_s),
        "maxDuration": duration(call.max_duration_s),
        "joinUrl": call.join_url,
        "retentionPolicy": RETENTION.get(config.get("retentionPolicy") or ""),
        "shortSummary": call.short_summary,
        "summary": call.summary,
        "agent": (
            {"agentId": call.agent_id, "name": call.agent_name or ""} if call.agent_id else None
        ),
        "agentId": call.agent_id,
        "experimentalSettings": call.experimental_settings,
        "metadata": dict(call.metadata),
        "initialState": dict(call.initial_state),
        "requestContext": {},
        "sipDetails": None,
    }
    for key, default in ECHOED.items():
        body[key] = config.get(key, default)
    for key in OPTIONAL:
        if config.get(key) is not None:
            body[key] = config[key]
    if config.get("dataConnection") is not None:
        body["dataConnectionConfig"] = config["dataConnection"]
    return body


def _output_medium(value: str | None) -> str:
    return "MESSAGE_MEDIUM_TEXT" if value == "MESSAGE_MEDIUM_TEXT" else "MESSAGE_MEDIUM_VOICE"


def message_view(call: CallRecord, message: MessageRecord, index: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "role": message.role,
        "text": message.text,
        "medium": message.medium,
        "callStageMessageIndex": index,
        "callStageId": call.stage_id,
    }
    if message.invocation_id is not None:
        body["invocationId"] = message.invocation_id
    if message.tool_name is not None:
        body["toolName"] = message.tool_name
    if message.error_details is not None:
        body["errorDetails"] = message.error_details
    if message.call_state is not None:
        body["callState"] = message.call_state
    if message.start_s is not None:
        span = {
            "start": duration(message.start_s),
            "end": duration(message.end_s or message.start_s),
        }
        body["timespan"] = span
        body["wallClockTimespan"] = dict(span)
    return body
