"""ElevenLabs conversations as Parley's provider-neutral record (pure functions, no I/O).

Input is the JSON of `GetConversationResponseModel` (`GET /v1/convai/conversations/{id}`, also
the `data` of the `post_call_transcription` webhook) and of `ConversationSummaryResponseModel`
(one list entry). Secrets are removed here: `secret__*` variables, their values wherever they
were echoed, webhook tool headers, and the caller's number (kept masked).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from parley.conversations import redact
from parley.conversations.callers import mask, normalise_number
from parley.conversations.schemas import (
    Channel,
    ConversationRecord,
    ConversationRef,
    Criterion,
    DataValue,
    Direction,
    Status,
    Turn,
    fingerprint,
)

PROVIDER = "elevenlabs"
NORMALISER_VERSION = 1
STATUSES: dict[str, Status] = {
    "initiated": "in_progress",
    "in-progress": "in_progress",
    "processing": "processing",
    "done": "done",
    "failed": "failed",
}
VERDICTS = {"success": True, "failure": False}
PHONE_TYPES: dict[str, Channel] = {"twilio": "phone", "exotel": "phone", "sip_trunking": "sip"}
# Variables that carry the caller's or called number: kept out of the stored variables.
NUMBER_VARIABLES = ("system__caller_id", "system__called_number")


def _stamp(unix: float | None) -> datetime:
    return datetime.fromtimestamp(unix or 0, UTC)


def ref_from_summary(item: dict[str, Any]) -> ConversationRef:
    """One list entry; its fingerprint equals that of the full conversation it summarises."""
    status = STATUSES.get(item.get("status") or "", "in_progress")
    return ConversationRef(
        provider=PROVIDER,
        remote_id=item["conversation_id"],
        started_at=_stamp(item.get("start_time_unix_secs")),
        final=status in ("done", "failed"),
        fingerprint=fingerprint(
            item.get("status"),
            item.get("call_successful") or "unknown",
            item.get("call_duration_secs"),
            item.get("cost"),
            item.get("termination_reason") or "",
        ),
    )


def record_fingerprint(payload: dict[str, Any]) -> str:
    meta = payload.get("metadata") or {}
    analysis = payload.get("analysis") or {}
    return fingerprint(
        payload.get("status"),
        analysis.get("call_successful") or "unknown",
        meta.get("call_duration_secs"),
        meta.get("cost"),
        meta.get("termination_reason") or "",
    )


def _channel(meta: dict[str, Any]) -> Channel:
    phone = meta.get("phone_call") or {}
    if phone:
        return PHONE_TYPES.get(phone.get("type") or "", "phone")
    source = str(meta.get("conversation_initiation_source") or "unknown")
    if source in ("sip_trunk",):
        return "sip"
    if source in ("twilio", "exotel", "genesys", "avaya", "audiocodes", "twilio_sms"):
        return "phone"
    if source == "python_sdk" or source.endswith("_integration"):
        return "api"
    if source.endswith("_sdk") or source in ("widget", "template_preview"):
        return "web"
    return "unknown"


def _direction(meta: dict[str, Any]) -> Direction:
    phone = meta.get("phone_call") or {}
    direction = phone.get("direction")
    if direction in ("inbound", "outbound"):
        return str(direction)  # type: ignore[return-value]
    if meta.get("batch_call"):
        return "outbound"
    return "unknown"


def _arguments(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _turn(entry: dict[str, Any]) -> Turn:
    calls = [
        {
            "id": call.get("request_id"),
            "name": call.get("tool_name"),
            "type": call.get("type"),
            "arguments": _arguments(call.get("params_as_json")),
        }
        for call in entry.get("tool_calls") or []
    ]
    results = [
        {
            "id": result.get("request_id"),
            "name": result.get("tool_name"),
            "result": result.get("result_value"),
            "is_error": bool(result.get("is_error")),
            "latency_s": result.get("tool_latency_secs"),
        }
        for result in entry.get("tool_results") or []
    ]
    metrics = (entry.get("conversation_turn_metrics") or {}).get("metrics") or {}
    latency = {
        name: float(value["elapsed_time"])
        for name, value in metrics.items()
        if isinstance(value, dict) and isinstance(value.get("elapsed_time"), int | float)
    }
    role = entry.get("role")
    return Turn(
        role="user" if role == "user" else "agent",
        text=entry.get("message") or "",
        offset_s=entry.get("time_in_call_secs"),
        interrupted=bool(entry.get("interrupted")),
        tool_calls=calls,
        tool_results=results,
        latency=latency,
    )


def _hide_tool_headers(transcript: list[dict[str, Any]]) -> None:
    """Webhook tool headers may hold resolved secrets (e.g. `Bearer {{secret__token}}`)."""
    for entry in transcript:
        for call in entry.get("tool_calls") or []:
            details = call.get("tool_details")
            if isinstance(details, dict) and details.get("headers"):
                details["headers"] = dict.fromkeys(details["headers"], redact.REDACTED)


def normalise(payload: dict[str, Any]) -> ConversationRecord:
    """A `GetConversationResponseModel` as JSON -> the neutral record, secrets removed."""
    data = json.loads(json.dumps(payload))  # a private deep copy we may edit
    meta = data.get("metadata") or {}
    client = data.get("conversation_initiation_client_data") or {}
    variables: dict[str, Any] = dict(client.get("dynamic_variables") or {})
    phone = meta.get("phone_call") or {}
    number = normalise_number(phone.get("external_number")) or normalise_number(
        str(variables.get("system__caller_id") or "")
    )
    _hide_tool_headers(data.get("transcript") or [])
    data = redact.replace_text(redact.drop_keys(data), redact.secret_values(variables))
    if number:
        data = redact.replace_pattern(data, redact.number_pattern(number), mask(number))
    meta = data.get("metadata") or {}
    analysis = data.get("analysis") or {}
    shown = {
        k: v
        for k, v in ((data.get("conversation_initiation_client_data") or {}).get(
            "dynamic_variables"
        ) or {}).items()
        if k not in NUMBER_VARIABLES
    }  # fmt: skip
    status = STATUSES.get(data.get("status") or "", "in_progress")
    started = _stamp(meta.get("start_time_unix_secs"))
    duration = meta.get("call_duration_secs")
    final = status in ("done", "failed")
    return ConversationRecord(
        provider=PROVIDER,
        remote_id=data["conversation_id"],
        normaliser_version=NORMALISER_VERSION,
        remote_agent_id=data.get("agent_id"),
        remote_agent_name=data.get("agent_name"),
        remote_branch_id=data.get("branch_id"),
        remote_version_id=data.get("version_id"),
        user_id=data.get("user_id") or client.get("user_id"),
        caller_number=number,
        caller_masked=mask(number) if number else None,
        channel=_channel(meta),
        direction=_direction(meta),
        started_at=started,
        ended_at=started + timedelta(seconds=duration) if final and duration is not None else None,
        duration_s=float(duration) if duration is not None else None,
        status=status,
        termination_reason=meta.get("termination_reason") or None,
        cost=float(meta["cost"]) if meta.get("cost") is not None else None,
        cost_unit="credits" if meta.get("cost") is not None else None,
        successful=VERDICTS.get(analysis.get("call_successful") or ""),
        summary=analysis.get("transcript_summary") or None,
        evaluation={
            cid: Criterion(result=str(r.get("result") or "unknown"), rationale=r.get("rationale"))
            for cid, r in (analysis.get("evaluation_criteria_results") or {}).items()
        },
        data_collection={
            did: DataValue(value=r.get("value"), rationale=r.get("rationale"))
            for did, r in (analysis.get("data_collection_results") or {}).items()
        },
        dynamic_variables=shown,
        metadata=_metadata(data, meta),
        has_audio=bool(data.get("has_audio")),
        turns=[_turn(entry) for entry in data.get("transcript") or []],
        raw=data,
    )


def _metadata(data: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    phone = meta.get("phone_call") or {}
    out = {
        "language": meta.get("main_language"),
        "cost_usd": meta.get("cost_fiat"),
        "source": meta.get("conversation_initiation_source"),
        "environment": data.get("environment"),
        "phone_number_id": phone.get("phone_number_id"),
        "call_result": phone.get("call_result"),
        "batch_call_id": (meta.get("batch_call") or {}).get("batch_call_id"),
        "feedback": (meta.get("feedback") or {}).get("overall_score"),
        "title": (data.get("analysis") or {}).get("call_summary_title"),
    }
    return {k: v for k, v in out.items() if v is not None}
