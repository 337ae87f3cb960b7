"""ElevenLabs post-call webhooks: the signature scheme, the envelope, what each event means.

Signature: `ElevenLabs-Signature: t=<unix>,v0=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
(the SDK's `construct_event`). Unlike the SDK, timestamps too far in the future are refused and
digests are compared in constant time. Envelope: `{"type", "event_timestamp", "data"}`; events
are deduplicated on type + conversation id (ElevenLabs sends each event at most once per
attempt, and retries only `post_call_transcription`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from parley.conversations.schemas import Channel, ConversationRecord
from parley.errors import BadRequest
from parley.providers.elevenlabs import conversations
from parley.webhooks.schemas import (
    AttachAudio,
    InboundEvent,
    Interpretation,
    Scheme,
    StoreConversation,
)
from parley.webhooks.verify import SignatureError, Window, any_match, check_window, hmac_hex

SIGNATURE_HEADER = "elevenlabs-signature"
PROCESSED = ("post_call_transcription", "post_call_audio", "call_initiation_failure")
FAILURE_CHANNELS: dict[str, Channel] = {"twilio": "phone", "sip": "sip"}


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The header value ElevenLabs would send (tests and tools)."""
    return f"t={timestamp},v0={hmac_hex(secret, f'{timestamp}.'.encode() + body)}"


def verify(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: float, window: Window
) -> None:
    header = headers.get(SIGNATURE_HEADER)
    if not header:
        raise SignatureError("the ElevenLabs-Signature header is missing")
    parts = [p.strip() for p in header.split(",")]
    stamps = [p[2:] for p in parts if p.startswith("t=")]
    given = [p[3:] for p in parts if p.startswith("v0=")]
    if len(stamps) != 1 or not stamps[0].isdigit() or not given:
        raise SignatureError("the ElevenLabs-Signature header is not t=<time>,v0=<signature>")
    check_window(int(stamps[0]), now, window)
    message = f"{stamps[0]}.".encode() + body
    if not any_match((hmac_hex(s, message) for s in secrets), given):
        raise SignatureError("the webhook signature does not match")


def parse(envelope: dict[str, Any]) -> InboundEvent:
    event_type = envelope.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise BadRequest("the webhook body has no event `type`")
    data = envelope.get("data")
    remote_id = data.get("conversation_id") if isinstance(data, dict) else None
    if event_type in PROCESSED:
        if not isinstance(remote_id, str) or not remote_id:
            raise BadRequest(f"a {event_type} event needs data.conversation_id")
        return InboundEvent(event_type, f"{event_type}:{remote_id}", remote_id, "process")
    # Unknown types have no documented identity: the body itself is the dedupe key.
    key = f"{event_type}:{hashlib.sha256(repr(envelope).encode()).hexdigest()}"
    return InboundEvent(event_type[:64], key[:256], None, "ignore")


def interpret(envelope: dict[str, Any]) -> Interpretation:
    event_type, data = envelope["type"], dict(envelope.get("data") or {})
    if event_type == "post_call_transcription":
        record = conversations.normalise(data)
        scrubbed = {**envelope, "data": record.raw}
        return Interpretation(
            StoreConversation(record, conversations.record_fingerprint(data)), scrubbed
        )
    if event_type == "post_call_audio":
        audio = _decode(data.pop("full_audio", None))
        data["full_audio_bytes"] = len(audio) if audio is not None else None
        action = AttachAudio(data["conversation_id"], audio)
        return Interpretation(action, {**envelope, "data": data})
    if event_type == "call_initiation_failure":
        record = failure_record(data, envelope.get("event_timestamp"))
        return Interpretation(StoreConversation(record, ""), {**envelope, "data": record.raw})
    return Interpretation(None, envelope)


def _decode(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def failure_record(data: dict[str, Any], stamp: Any) -> ConversationRecord:
    """A call that never connected. The telephony provider's own payload (`metadata.body`)
    holds both phone numbers, so only its type and status code are kept."""
    meta = data.get("metadata") or {}
    body = meta.get("body") or {}
    kind = str(meta.get("type") or "")
    reason = str(data.get("failure_reason") or "unknown")
    kept = {
        "agent_id": data.get("agent_id"),
        "conversation_id": data["conversation_id"],
        "failure_reason": reason,
        "metadata": {"type": kind, "sip_status_code": body.get("sip_status_code")},
    }
    started = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int | float) else None
    return ConversationRecord(
        provider=conversations.PROVIDER,
        remote_id=data["conversation_id"],
        normaliser_version=conversations.NORMALISER_VERSION,
        remote_agent_id=data.get("agent_id"),
        channel=FAILURE_CHANNELS.get(kind, "phone"),
        direction="unknown",  # failures are sent for inbound and outbound calls alike
        started_at=started or datetime.now(UTC),
        ended_at=started,
        status="failed",
        termination_reason=f"Call initiation failed: {reason}",
        metadata={"failure_reason": reason, "telephony": kind or None},
        raw=kept,
    )


SCHEME = Scheme(verify=verify, parse=parse, interpret=interpret)
