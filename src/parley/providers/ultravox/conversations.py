"""Ultravox calls as Parley's provider-neutral record (pure functions, no I/O).

Input is a `Call` (`GET /api/calls/{id}`, one entry of `GET /api/calls`) and its messages
(`GET /api/calls/{id}/messages?mode=in_call`, so a reused call's `initialMessages` are not
counted as this call's turns). Ultravox runs no post-call analysis: `successful`, evaluation
and data collection stay empty, and the cost is the billed duration in seconds.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from parley.conversations import redact
from parley.conversations.callers import mask, normalise_number
from parley.conversations.schemas import (
    Channel,
    ConversationRecord,
    ConversationRef,
    Direction,
    Role,
    Status,
    Turn,
    fingerprint,
)

PROVIDER = "ultravox"
NORMALISER_VERSION = 1
FAILED_ENDS = ("unjoined", "connection_error", "system_error")
CHANNELS: dict[str, Channel] = {
    "webRtc": "web",
    "twilio": "phone",
    "telnyx": "phone",
    "plivo": "phone",
    "exotel": "phone",
    "sip": "sip",
    "serverWebSocket": "api",
}
ROLES: dict[str, Role] = {
    "MESSAGE_ROLE_USER": "user",
    "MESSAGE_ROLE_AGENT": "agent",
    "MESSAGE_ROLE_TOOL_CALL": "tool",
    "MESSAGE_ROLE_TOOL_RESULT": "tool",
}
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)s\s*$")


def seconds(value: Any) -> float | None:
    """A protobuf JSON duration (`"169s"`, `"1.5s"`) in seconds."""
    if not isinstance(value, str):
        return None
    found = _DURATION.match(value)
    return float(found.group(1)) if found else None


def when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _status(call: dict[str, Any]) -> Status:
    if call.get("ended") is None:
        return "in_progress"
    return "failed" if call.get("endReason") in FAILED_ENDS else "done"


def call_fingerprint(call: dict[str, Any]) -> str:
    return fingerprint(
        call.get("ended"),
        call.get("endReason"),
        call.get("billedDuration"),
        call.get("billingStatus"),
        call.get("shortSummary"),
        call.get("summary"),
    )


def ref_from_call(call: dict[str, Any]) -> ConversationRef:
    """A list entry. `started_at` is `created`, the time the call list filters on."""
    created = when(call.get("created"))
    assert created is not None, "every Ultravox call has a creation time"
    return ConversationRef(
        provider=PROVIDER,
        remote_id=call["callId"],
        started_at=created,
        final=_status(call) != "in_progress",
        fingerprint=call_fingerprint(call),
    )


def _medium(call: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for key, value in (call.get("medium") or {}).items():
        if isinstance(value, dict):
            return key, value
    return "webRtc", {}  # Ultravox's default medium


def _direction(kind: str, medium: dict[str, Any]) -> Direction:
    if medium.get("outgoing"):
        return "outbound"
    if kind == "sip" and medium.get("incoming") is not None:
        return "inbound"
    return "unknown"


def _turn(message: dict[str, Any]) -> Turn:
    role: Role = ROLES.get(message.get("role") or "", "agent")
    span = message.get("wallClockTimespan") or message.get("timespan") or {}
    text = message.get("text") or ""
    tool = {"id": message.get("invocationId"), "name": message.get("toolName")}
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    if message.get("role") == "MESSAGE_ROLE_TOOL_CALL":
        calls.append({**tool, "arguments": _arguments(text)})
    elif message.get("role") == "MESSAGE_ROLE_TOOL_RESULT":
        results.append({**tool, "result": text, "is_error": bool(message.get("errorDetails"))})
    return Turn(
        role=role,
        text=text if role != "tool" else "",
        offset_s=seconds(span.get("start")),
        tool_calls=calls,
        tool_results=results,
    )


def _arguments(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _hide_sip_credentials(call: dict[str, Any]) -> None:
    outgoing = ((call.get("medium") or {}).get("sip") or {}).get("outgoing")
    if isinstance(outgoing, dict) and outgoing.get("password"):
        outgoing["password"] = redact.REDACTED


def normalise(call: dict[str, Any], messages: list[dict[str, Any]]) -> ConversationRecord:
    """A `Call` and its in-call messages -> the neutral record, secrets removed."""
    data = json.loads(json.dumps({"call": call, "messages": messages}))
    _hide_sip_credentials(data["call"])
    kind, medium = _medium(data["call"])
    outgoing = medium.get("outgoing") or {}
    number = normalise_number(outgoing.get("to")) if isinstance(outgoing, dict) else None
    context = dict(data["call"].get("templateContext") or {})
    data = redact.replace_text(redact.drop_keys(data), redact.secret_values(context))
    if number:
        data = redact.replace_pattern(data, redact.number_pattern(number), mask(number))
    call, messages = data["call"], data["messages"]
    labels = dict(call.get("metadata") or {})
    joined, ended = when(call.get("joined")), when(call.get("ended"))
    created = when(call.get("created"))
    assert created is not None, "every Ultravox call has a creation time"
    billed = seconds(call.get("billedDuration"))
    status = _status(call)
    version_hint = str(labels.get("parley_version") or "")
    return ConversationRecord(
        provider=PROVIDER,
        remote_id=call["callId"],
        normaliser_version=NORMALISER_VERSION,
        remote_agent_id=call.get("agentId") or (call.get("agent") or {}).get("agentId"),
        remote_agent_name=(call.get("agent") or {}).get("name"),
        agent_hint=labels.get("parley_agent") or None,
        version_hint=int(version_hint) if version_hint.isdigit() else None,
        caller_number=number,
        caller_masked=mask(number) if number else None,
        channel=CHANNELS.get(kind, "unknown"),
        direction=_direction(kind, medium),
        started_at=joined or created,
        ended_at=ended,
        duration_s=(ended - joined).total_seconds() if ended and joined else None,
        status=status,
        termination_reason=call.get("endReason"),
        cost=billed,
        cost_unit="billed_seconds" if billed is not None else None,
        summary=call.get("summary") or call.get("shortSummary") or None,
        dynamic_variables=redact.drop_keys(call.get("templateContext") or {}),
        metadata=_metadata(call, labels),
        has_audio=bool(call.get("recordingEnabled")) and status != "in_progress" and bool(joined),
        turns=[_turn(m) for m in messages],
        raw=data,
    )


def _metadata(call: dict[str, Any], labels: dict[str, Any]) -> dict[str, Any]:
    out = {
        "language": call.get("languageHint"),
        "model": call.get("model"),
        "billing_status": call.get("billingStatus"),
        "short_summary": call.get("shortSummary"),
        "labels": labels or None,
    }
    return {k: v for k, v in out.items() if v is not None}
