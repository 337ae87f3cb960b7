"""Ultravox call webhooks: the signature scheme, the envelope, what each event means.

Signature: `X-Ultravox-Webhook-Timestamp` (ISO time of sending) and
`X-Ultravox-Webhook-Signature`, one hex HMAC-SHA256 per webhook secret, comma-separated (so a
secret can be rotated without downtime), over the raw body followed by the timestamp. Envelope:
`{"event", "call"}`; Ultravox retries and may deliver twice, so events are deduplicated on
event + callId. `call.ended` and `call.billed` carry a finished call; its messages are fetched
by the job (`RefreshConversation`), since the webhook does not include them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from parley.errors import BadRequest
from parley.providers.ultravox import conversations
from parley.webhooks.schemas import (
    Disposition,
    InboundEvent,
    Interpretation,
    RefreshConversation,
    Scheme,
)
from parley.webhooks.verify import SignatureError, Window, any_match, check_window, hmac_hex

TIMESTAMP_HEADER = "x-ultravox-webhook-timestamp"
SIGNATURE_HEADER = "x-ultravox-webhook-signature"
PROCESSED = ("call.ended", "call.billed")
RECORDED = ("call.started", "call.joined")


def sign(body: bytes, secrets: Sequence[str], timestamp: str) -> dict[str, str]:
    """The headers Ultravox would send (tests and tools)."""
    message = body + timestamp.encode()
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: ",".join(hmac_hex(s, message) for s in secrets),
    }


def verify(
    body: bytes, headers: Mapping[str, str], secrets: Sequence[str], now: float, window: Window
) -> None:
    stamp, given = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not stamp or not given:
        raise SignatureError("the X-Ultravox-Webhook-Timestamp/-Signature headers are missing")
    try:
        signed_at = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError("the webhook timestamp is not an ISO 8601 time") from None
    if signed_at.tzinfo is None:
        raise SignatureError("the webhook timestamp has no time zone")
    check_window(signed_at.timestamp(), now, window)
    message = body + stamp.encode()
    if not any_match((hmac_hex(s, message) for s in secrets), given.split(",")):
        raise SignatureError("the webhook signature does not match")


def parse(envelope: dict[str, Any]) -> InboundEvent:
    event = envelope.get("event")
    if not isinstance(event, str) or not event:
        raise BadRequest("the webhook body has no `event`")
    call = envelope.get("call")
    call_id = call.get("callId") if isinstance(call, dict) else None
    if not isinstance(call_id, str) or not call_id:
        if event in PROCESSED or event in RECORDED:
            raise BadRequest(f"a {event} event needs call.callId")
        call_id = None
    disposition: Disposition = (
        "process" if event in PROCESSED else "record" if event in RECORDED else "ignore"
    )
    return InboundEvent(event[:64], f"{event}:{call_id}"[:256], call_id, disposition)


def interpret(envelope: dict[str, Any]) -> Interpretation:
    call = envelope.get("call")
    if envelope.get("event") not in PROCESSED or not isinstance(call, dict):
        return Interpretation(None, envelope)
    record = conversations.normalise(call, [])
    action = RefreshConversation(record.remote_id, record, conversations.call_fingerprint(call))
    return Interpretation(action, {**envelope, "call": record.raw["call"]})


SCHEME = Scheme(verify=verify, parse=parse, interpret=interpret)
