"""Account webhooks (`/api/webhooks` CRUD) and the signed deliveries of call events.

Each delivery is `{"event": ..., "call": <Call>}`, signed per attempt: the
`X-Ultravox-Webhook-Timestamp` header holds the ISO time of sending and
`X-Ultravox-Webhook-Signature` one hex HMAC-SHA256 per secret (comma-separated, so secrets can
be rotated without downtime) over the raw body bytes followed by that timestamp. Failures are
retried up to ten times, backing off from 30 s and doubling. A webhook's `status` and
`recentFailures` are read from the outbox's attempt log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request, Response

from parley.emulator.outbox import Delivery, Outbox, Signer
from parley.emulator.ultravox.auth import require_api_key
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.pagination import paginate
from parley.emulator.ultravox.schemas import WebhookIn
from parley.emulator.ultravox.state import CallRecord, UltravoxState, WebhookRecord
from parley.emulator.ultravox.views import call_view
from parley.emulator.ultravox.wire import iso

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

RETRY_SCHEDULE = [30.0 * 2**i for i in range(10)]
CALLBACK_EVENTS = {"call.joined": "joined", "call.ended": "ended", "call.billed": "billed"}
RECENT_FAILURES = 10
router = APIRouter(prefix="/api/webhooks", dependencies=[Depends(require_api_key)])
# Per outbox: delivery id -> webhook id, to derive health; goes away with the outbox on reset.
_origins: weakref.WeakKeyDictionary[Outbox, dict[str, str]] = weakref.WeakKeyDictionary()


def _origin(emu: Emulator) -> dict[str, str]:
    return _origins.setdefault(emu.outbox, {})


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def _state(emu: Emulator) -> UltravoxState:
    value: UltravoxState = emu.state("ultravox")
    return value


def signer(secrets: list[str]) -> Signer:
    def sign(body: bytes, now: float) -> dict[str, str]:
        stamp = iso(now)
        message = body + stamp.encode()
        digests = [hmac.new(s.encode(), message, hashlib.sha256).hexdigest() for s in secrets]
        headers = {"X-Ultravox-Webhook-Timestamp": stamp}
        if digests:
            headers["X-Ultravox-Webhook-Signature"] = ",".join(digests)
        return headers

    return sign


def dispatch(emu: Emulator, event: str, call: CallRecord) -> list[Delivery]:
    """Queue `event` for every subscribed webhook and the call's own callback."""
    body = json.dumps({"event": event, "call": call_view(call)}).encode()
    sent: list[Delivery] = []
    for hook in _state(emu).webhooks.values():
        if event not in hook.events or (hook.agent_id and hook.agent_id != call.agent_id):
            continue
        delivery = _enqueue(emu, event, hook.url, body, hook.secrets)
        _origin(emu)[delivery.id] = hook.webhook_id
        sent.append(delivery)
    callback = (call.config.get("callbacks") or {}).get(CALLBACK_EVENTS.get(event, ""))
    if isinstance(callback, dict) and callback.get("url"):
        sent.append(
            _enqueue(emu, event, callback["url"], body, list(callback.get("secrets") or []))
        )
    return sent


def _enqueue(emu: Emulator, event: str, url: str, body: bytes, secrets: list[str]) -> Delivery:
    return emu.outbox.enqueue(
        provider="ultravox",
        event=event,
        url=url,
        body=body,
        sign=signer(secrets),
        retry_schedule=list(RETRY_SCHEDULE),
        retry_any_failure=True,  # Ultravox retries every answer that is not 2xx
    )


def view(emu: Emulator, hook: WebhookRecord) -> dict[str, Any]:
    origin = _origin(emu)
    mine = [d for d in emu.outbox.deliveries if origin.get(d.id) == hook.webhook_id and d.attempts]
    failures = [
        {"timestamp": iso(a.at), "failure": a.error or f"HTTP {a.status_code}"}
        for d in mine
        for a in d.attempts
        if a.status_code is None or not 200 <= a.status_code < 300
    ]
    finished = [d for d in mine if d.status in ("delivered", "failed")]
    unhealthy = bool(finished) and finished[-1].status == "failed"
    return {
        "webhookId": hook.webhook_id,
        "agentId": hook.agent_id,
        "created": iso(hook.created),
        "url": hook.url,
        "secrets": list(hook.secrets),
        "events": list(hook.events),
        "status": "unhealthy" if unhealthy else "normal",
        "lastStatusChange": iso(finished[-1].attempts[-1].at) if unhealthy else None,
        "recentFailures": failures[-RECENT_FAILURES:],
    }


def _get(emu: Emulator, webhook_id: str) -> WebhookRecord:
    hook = _state(emu).webhooks.get(webhook_id)
    if hook is None:
        raise UltravoxError(404, "Not found.")
    return hook


def _check(emu: Emulator, body: WebhookIn, full: bool) -> None:
    errors: dict[str, list[str]] = {}
    if full and not body.url:
        errors["url"] = ["This field is required."]
    if full and body.events is None:
        errors["events"] = ["This field is required."]
    if body.agentId is not None and body.agentId not in _state(emu).agents:
        errors["agentId"] = [f'Invalid pk "{body.agentId}" - object does not exist.']
    if errors:
        raise UltravoxError(400, errors)


def _apply(emu: Emulator, hook: WebhookRecord, body: WebhookIn, fields: set[str]) -> None:
    if "url" in fields and body.url:
        hook.url = body.url
    if "events" in fields and body.events is not None:
        hook.events = list(dict.fromkeys(body.events))
    if "agentId" in fields:
        hook.agent_id = body.agentId
    if "secrets" in fields:
        hook.secrets = list(body.secrets or []) or [_new_secret(emu)]


def _new_secret(emu: Emulator) -> str:
    # Drawn from the seeded generator so runs repeat; an emulator secret guards nothing real.
    return emu.ids.hex(40)


@router.get("")
async def list_webhooks(request: Request, agentId: str | None = None) -> dict[str, Any]:
    emu = _emu(request)
    hooks = [h for h in _state(emu).webhooks.values() if agentId is None or h.agent_id == agentId]
    hooks.sort(key=lambda h: h.created, reverse=True)
    return paginate(request, hooks, lambda h: view(emu, h))


@router.post("", status_code=201)
async def create_webhook(body: WebhookIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    _check(emu, body, full=True)
    now = emu.clock.now()
    hook = WebhookRecord(webhook_id=emu.ids.uuid(), created=now, url=body.url or "")
    _apply(emu, hook, body, {"url", "events", "agentId", "secrets"})
    _state(emu).webhooks[hook.webhook_id] = hook
    return view(emu, hook)


@router.get("/{webhook_id}")
async def get_webhook(webhook_id: str, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    return view(emu, _get(emu, webhook_id))


@router.put("/{webhook_id}")
async def replace_webhook(webhook_id: str, body: WebhookIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    hook = _get(emu, webhook_id)
    _check(emu, body, full=True)
    fields = {"url", "events", "agentId"} | ({"secrets"} if body.secrets is not None else set())
    _apply(emu, hook, body, fields)
    return view(emu, hook)


@router.patch("/{webhook_id}")
async def update_webhook(webhook_id: str, body: WebhookIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    hook = _get(emu, webhook_id)
    _check(emu, body, full=False)
    _apply(emu, hook, body, set(body.model_fields_set))
    return view(emu, hook)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, request: Request) -> Response:
    emu = _emu(request)
    _get(emu, webhook_id)
    del _state(emu).webhooks[webhook_id]
    return Response(status_code=204)
