"""A call's life: started, joined, ended, billed — each step stamps the record and fires events.

Events go to every account webhook subscribed to them (optionally scoped to the call's agent)
and to the call's own `callbacks`. Billing follows the end at once: the emulator has no SIP leg
whose cost could arrive later, so `call.billed` is queued right after `call.ended`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley.emulator.ultravox import sessions, webhooks
from parley.emulator.ultravox.state import CallRecord, MessageRecord, UltravoxState

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

AGENT = "MESSAGE_ROLE_AGENT"
USER = "MESSAGE_ROLE_USER"


def state(emu: Emulator) -> UltravoxState:
    value: UltravoxState = emu.state("ultravox")
    return value


def started(emu: Emulator, call: CallRecord) -> None:
    webhooks.dispatch(emu, "call.started", call)


def join(
    emu: Emulator, call: CallRecord, client_version: str | None, at: float | None = None
) -> None:
    call.joined = emu.clock.now() if at is None else at
    call.client_version = client_version
    webhooks.dispatch(emu, "call.joined", call)


def is_live(call: CallRecord) -> bool:
    return call.ended is None


def end(emu: Emulator, call: CallRecord, reason: str, at: float | None = None) -> None:
    """End a live call, summarise and bill it, and queue `call.ended` then `call.billed`."""
    if call.ended is not None:
        return
    call.ended = emu.clock.now() if at is None else at
    call.end_reason = reason
    call.short_summary, call.summary = summarise(call)
    webhooks.dispatch(emu, "call.ended", call)
    bill(call)
    webhooks.dispatch(emu, "call.billed", call)


def bill(call: CallRecord) -> None:
    joined, ended = call.joined, call.ended
    seconds = max(0.0, ended - joined) if joined is not None and ended is not None else 0.0
    # Ultravox bills to the tenth of a second; unjoined calls cost nothing.
    call.billed_duration_s = round(seconds, 1)
    if seconds <= 0:
        call.billing_status = "BILLING_STATUS_FREE_ZERO_EFFECTIVE_DURATION"
    elif call.end_reason == "system_error":
        call.billing_status = "BILLING_STATUS_FREE_SYSTEM_ERROR"
    else:
        call.billing_status = "BILLING_STATUS_BILLED"
    call.billed_side_input_tokens = 0
    call.billed_side_output_tokens = 0


def summarise(call: CallRecord) -> tuple[str | None, str | None]:
    """A deterministic stand-in for Ultravox's generated summaries (none for unjoined calls)."""
    users = [m.text for m in call.messages if m.role == USER]
    if call.joined is None or not call.messages:
        return None, None
    who = call.agent_name or "the agent"
    first = users[0] if users else "nothing"
    short = f"Call with {who}: {len(users)} user turn(s), ended by {call.end_reason}."
    long = (
        f"The caller spoke with {who}. They started with: {first!r}. "
        f"The conversation had {len(call.messages)} messages and ended ({call.end_reason})."
    )
    return short, long


def offset(emu: Emulator, call: CallRecord) -> float:
    """Seconds since the call was joined, by the emulator clock."""
    return max(0.0, emu.clock.now() - (call.joined or call.created))


async def on_tick(emu: Emulator) -> list[str]:
    """End calls past their joinTimeout (unjoined) or maxDuration (timeout); returns their ids."""
    now = emu.clock.now()
    ended: list[str] = []
    for call in list(state(emu).calls.values()):
        if call.ended is not None:
            continue
        if call.joined is None and now >= call.created + call.join_timeout_s:
            end(emu, call, "unjoined", at=call.created + call.join_timeout_s)
        elif call.joined is not None and now >= call.joined + call.max_duration_s:
            message = call.config.get("timeExceededMessage")
            if message:
                at = call.max_duration_s
                call.messages.append(MessageRecord(role=AGENT, text=message, start_s=at, end_s=at))
            end(emu, call, "timeout", at=call.joined + call.max_duration_s)
        else:
            continue
        ended.append(call.call_id)
        await sessions.close(emu, call.call_id)
    return ended
