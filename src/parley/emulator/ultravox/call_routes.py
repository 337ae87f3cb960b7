"""`/api/calls`: start, list (with filters), read, delete, messages, recording, data messages.

The recording answers like the real service: a 302 to a short-lived storage URL (served by this
emulator without an API key), which returns `audio/wav`. Lists are DRF cursor pages.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from parley.emulator import audio
from parley.emulator.ultravox import calls, lifecycle, sessions, voices
from parley.emulator.ultravox.auth import require_api_key
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.pagination import paginate
from parley.emulator.ultravox.schemas import StartCallRequest
from parley.emulator.ultravox.state import CallRecord
from parley.emulator.ultravox.views import call_view, message_view
from parley.emulator.ultravox.wire import parse_duration_filter

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/api/calls", dependencies=[Depends(require_api_key)])
storage = APIRouter(prefix="/storage")
RECORDING_RATE = 8000
URL_TTL_S = 3600
SORTABLE = {"created", "joined", "ended", "billedDuration"}


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def get_call(emu: Emulator, call_id: str) -> CallRecord:
    call = lifecycle.state(emu).calls.get(call_id)
    if call is None:
        raise UltravoxError(404, "Not found.")
    return call


@router.post("", status_code=201)
async def create_call(
    body: StartCallRequest, request: Request, priorCallId: str | None = None
) -> dict[str, Any]:
    return call_view(calls.start_direct(_emu(request), body, priorCallId))


@router.get("")
async def list_calls(
    request: Request,
    agentIds: list[str] | None = Query(default=None),
    fromDate: str | None = None,
    toDate: str | None = None,
    durationMin: str | None = None,
    durationMax: str | None = None,
    search: str | None = None,
    sort: str | None = None,
    timeOfDayStart: str | None = None,
    timeOfDayEnd: str | None = None,
    voiceId: str | None = None,
) -> dict[str, Any]:
    emu = _emu(request)
    items = list(lifecycle.state(emu).calls.values())
    if agentIds:
        # Repeated (`agentIds=a&agentIds=b`) or comma-separated, both seen from clients.
        wanted = {part for value in agentIds for part in value.split(",") if part}
        items = [c for c in items if c.agent_id in wanted]
    metadata = {
        k.removeprefix("metadata."): v
        for k, v in request.query_params.items()
        if k.startswith("metadata.")
    }
    items = [c for c in items if all(c.metadata.get(k) == v for k, v in metadata.items())]
    items = _filter_time(items, fromDate, toDate, timeOfDayStart, timeOfDayEnd)
    items = _filter_duration(items, durationMin, durationMax)
    if voiceId:
        items = [c for c in items if _voice_id(emu, c) == voiceId]
    if search:
        needle = search.lower()
        items = [c for c in items if needle in _haystack(c)]
    return paginate(request, sort_calls(items, sort), call_view)


def sort_calls(items: list[CallRecord], sort: str | None) -> list[CallRecord]:
    field = (sort or "-created").lstrip("-")
    if field not in SORTABLE:  # DRF's OrderingFilter ignores unknown fields
        field, sort = "created", "-created"
    keys = {"created": "created", "joined": "joined", "ended": "ended"}
    attr = keys.get(field, "billed_duration_s")

    def key(call: CallRecord) -> tuple[bool, float]:
        value = getattr(call, attr)
        return (value is None, value or 0.0)

    return sorted(items, key=key, reverse=(sort or "-created").startswith("-"))


def _filter_time(
    items: list[CallRecord], start: str | None, end: str | None, tod_start: str | None,
    tod_end: str | None,
) -> list[CallRecord]:  # fmt: skip
    # Compared as datetimes, at the microsecond precision of the timestamps the API returns.
    try:
        low = _when(start) if start else None
        high = _when(end) if end else None
        if end and high is not None and "T" not in end:
            high += timedelta(days=1, microseconds=-1)  # a bare date means the whole day
        first = time.fromisoformat(tod_start) if tod_start else time.min
        last = time.fromisoformat(tod_end) if tod_end else time.max
    except ValueError as exc:
        raise UltravoxError(400, {"non_field_errors": [f"Invalid date or time: {exc}"]}) from None

    def keep(call: CallRecord) -> bool:
        moment = datetime.fromtimestamp(call.created, UTC)
        in_range = (low is None or moment >= low) and (high is None or moment <= high)
        return in_range and first <= moment.time() <= last

    return [c for c in items if keep(c)]


def _when(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _filter_duration(
    items: list[CallRecord], low: str | None, high: str | None
) -> list[CallRecord]:
    try:
        lo = parse_duration_filter(low) if low else None
        hi = parse_duration_filter(high) if high else None
    except ValueError:
        raise UltravoxError(400, {"durationMin": ["Enter a valid duration."]}) from None

    def length(call: CallRecord) -> float:
        if call.joined is None:
            return 0.0
        return (call.ended or call.joined) - call.joined

    return [c for c in items if (lo is None or length(c) >= lo) and (hi is None or length(c) <= hi)]


def _voice_id(emu: Emulator, call: CallRecord) -> str | None:
    voice = voices.resolve(emu, str(call.config.get("voice") or ""))
    return voice.voice_id if voice else None


def _haystack(call: CallRecord) -> str:
    parts = [call.call_id, call.agent_name or "", call.summary or "", call.short_summary or ""]
    return " ".join([*parts, *call.metadata.values()]).lower()


@router.get("/{call_id}")
async def get_one(call_id: str, request: Request) -> dict[str, Any]:
    return call_view(get_call(_emu(request), call_id))


@router.delete("/{call_id}", status_code=204)
async def delete_call(call_id: str, request: Request) -> Response:
    emu = _emu(request)
    call = get_call(emu, call_id)
    if lifecycle.is_live(call):
        raise UltravoxError(400, "Calls cannot be deleted while they are active.")
    del lifecycle.state(emu).calls[call_id]
    return Response(status_code=204)


@router.get("/{call_id}/messages")
async def list_messages(call_id: str, request: Request, mode: str = "last_stage") -> dict[str, Any]:
    call = get_call(_emu(request), call_id)
    if mode not in ("last_stage", "in_call"):
        raise UltravoxError(400, {"mode": [f'"{mode}" is not a valid choice.']})
    # One stage per call here, so the modes differ only by the stage's initialMessages.
    history = call.messages if mode == "in_call" else [*call.initial_messages, *call.messages]
    indexed = list(enumerate(history))
    return paginate(request, indexed, lambda pair: message_view(call, pair[1], pair[0]))


@router.post("/{call_id}/send_data_message", status_code=204)
async def send_data_message(call_id: str, body: dict[str, Any], request: Request) -> Response:
    emu = _emu(request)
    call = get_call(emu, call_id)
    if not isinstance(body.get("type"), str):
        raise UltravoxError(400, {"type": ["This field is required."]})
    session = sessions.get(emu, call_id)
    if session is None or not lifecycle.is_live(call):
        raise UltravoxError(422, "Call is not active.")
    await session.handle(body)
    return Response(status_code=204)


@router.get("/{call_id}/recording")
async def recording(call_id: str, request: Request) -> Response:
    emu = _emu(request)
    call = get_call(emu, call_id)
    if not call.config.get("recordingEnabled") or call.joined is None:
        raise UltravoxError(404, "Recording not found.")
    if lifecycle.is_live(call):
        raise UltravoxError(404, "Recording not yet available.")
    expires = int(emu.clock.now()) + URL_TTL_S
    url = (
        f"{emu.config.public_url}/ultravox/storage/recordings/{call_id}.wav"
        f"?expires={expires}&signature={_sign(emu, call_id, expires)}"
    )
    return RedirectResponse(url, status_code=302)


def _sign(emu: Emulator, call_id: str, expires: int) -> str:
    key = f"ultravox-storage-{emu.seed}".encode()
    return hmac.new(key, f"{call_id}:{expires}".encode(), hashlib.sha256).hexdigest()


@storage.get("/recordings/{call_id}.wav")
async def recording_file(call_id: str, expires: int, signature: str, request: Request) -> Response:
    emu = _emu(request)
    good = hmac.compare_digest(signature, _sign(emu, call_id, expires))
    if not good or expires < emu.clock.now():
        return Response("Access denied.", status_code=403, media_type="text/plain")
    return Response(render_recording(get_call(emu, call_id)), media_type="audio/wav")


def render_recording(call: CallRecord) -> bytes:
    """Agent turns as a 220 Hz tone, user turns at 330 Hz, with short pauses between them."""
    pause = bytes(int(0.25 * RECORDING_RATE) * 2)
    pcm = bytearray()
    for message in call.messages:
        if message.role in ("MESSAGE_ROLE_AGENT", "MESSAGE_ROLE_USER"):
            freq = 220.0 if message.role == "MESSAGE_ROLE_AGENT" else 330.0
            pcm += audio.tone(audio.speech_duration(message.text), RECORDING_RATE, freq) + pause
    return audio.wav(bytes(pcm), RECORDING_RATE)
