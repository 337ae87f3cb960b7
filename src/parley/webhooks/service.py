"""Webhook intake: verify a delivery's signature, store the raw event once, queue its job.

`receive` is everything between the route's raw body and its 200: the signature is checked on
the exact bytes before anything is parsed, the event is stored under its dedupe key (a second
delivery changes nothing), and a processing job is queued in the same transaction, so the
event and its job are committed together before the provider is answered. Concurrent
deliveries share that transaction (`intake.GroupCommit`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from parley.config import Settings
from parley.db.base import utcnow
from parley.errors import BadRequest, NotFound
from parley.providers.elevenlabs import webhooks as elevenlabs
from parley.providers.ultravox import webhooks as ultravox
from parley.webhooks.intake import GroupCommit
from parley.webhooks.schemas import Scheme, WebhookAck
from parley.webhooks.verify import Window, require_secrets, split_secrets

SCHEMES: dict[str, Scheme] = {"elevenlabs": elevenlabs.SCHEME, "ultravox": ultravox.SCHEME}
PROCESS = "webhooks.process"  # the job kind (its handler is tasks.process)
STATUS = {"process": "pending", "record": "recorded", "ignore": "ignored"}


def secrets_for(settings: Settings, provider: str) -> list[str]:
    value = {
        "elevenlabs": settings.elevenlabs_webhook_secret,
        "ultravox": settings.ultravox_webhook_secret,
    }[provider]
    return split_secrets(value.get_secret_value() if value is not None else None)


def verify(
    provider: str, body: bytes, headers: Mapping[str, str], settings: Settings, now: float
) -> None:
    """Raise `SignatureError` unless the body is signed with a configured secret, in time."""
    secrets = secrets_for(settings, provider)
    require_secrets(secrets, provider)
    window = Window(settings.webhook_tolerance_s, settings.webhook_future_s)
    SCHEMES[provider].verify(body, headers, secrets, now, window)


def decode(body: bytes) -> tuple[str, dict[str, Any]]:
    """The body as text and as a JSON object; 400 for anything else."""
    try:
        text = body.decode("utf-8")
        envelope = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the webhook body is not JSON") from None
    if not isinstance(envelope, dict):
        raise BadRequest("the webhook body is not a JSON object")
    return text, envelope


async def receive(
    intake: GroupCommit,
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
    settings: Settings,
    *,
    now: float,
) -> WebhookAck:
    """Verify, store once, queue processing; returns after the commit. Headers are given with
    lower-case names."""
    if provider not in SCHEMES:
        raise NotFound(f"no webhooks for provider {provider!r}")
    verify(provider, body, headers, settings, now)
    text, envelope = decode(body)
    event = SCHEMES[provider].parse(envelope)
    row = {
        "provider": provider,
        "event_type": event.event_type,
        "dedupe_key": event.dedupe_key,
        "remote_id": event.remote_id,
        "status": STATUS[event.disposition],
        "body": text,
        "scrubbed": False,
        "received_at": utcnow(),
        "processed_at": None,
    }
    stored = await intake.store(row, job=event.disposition == "process")
    status: Literal["stored", "duplicate"] = "duplicate" if stored.duplicate else "stored"
    return WebhookAck(status=status, event_id=stored.event_id, event_type=event.event_type)
