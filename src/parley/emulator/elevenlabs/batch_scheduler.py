"""Batch calls and their scheduler, driven by the emulator clock from the provider's tick.

A batch waits `pending` until its `scheduled_time_unix`, then runs `in_progress`: recipients go
`pending → dispatched` while fewer than the batch's concurrency limit are active, are placed as
calls one second later (`initiated`, ringing), go `in_progress` when answered and end
`completed`, `voicemail` or `failed` as their call does (telephony.py decides who answers). The
limit is the batch's `target_concurrency_limit`, else the agent's positive
`call_limits.agent_concurrency_limit`, else 70% of the emulated workspace's 10 concurrent calls,
as ElevenLabs leaves headroom for inbound traffic. A batch ends `completed` when every recipient
is final, or `failed` when its agent or phone number disappeared. `run_due` replays every call
and batch event up to now in time order, so one big clock jump plays a whole batch out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from parley.emulator.elevenlabs import telephony
from parley.emulator.elevenlabs.telephony import CallRefused, place_call

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

RecipientStatus = Literal[
    "pending",
    "dispatched",
    "initiated",
    "in_progress",
    "completed",
    "failed",
    "cancelled",
    "voicemail",
]
BatchStatus = Literal["pending", "in_progress", "completed", "failed", "cancelled"]
FINAL = {"completed", "failed", "cancelled", "voicemail"}
ACTIVE = {"dispatched", "initiated", "in_progress"}
RETRIED = {"failed", "voicemail"}  # "re-calls failed and no-response recipients"
DISPATCH_DELAY_S = 1.0
WORKSPACE_CONCURRENCY = 10
BATCH_SHARE = 0.7
MAX_STEPS = 100_000


class BatchRecipient(BaseModel):
    id: str
    phone_number: str | None = None
    whatsapp_user_id: str | None = None
    status: RecipientStatus = "pending"
    created_at_unix: int
    updated_at_unix: int
    conversation_id: str | None = None
    conversation_initiation_client_data: dict[str, Any] | None = None
    dispatched_at: float | None = None


class BatchCall(BaseModel):
    id: str
    name: str
    agent_id: str
    phone_number_id: str | None = None
    phone_provider: str | None = None
    branch_id: str | None = None
    environment: str | None = None
    created_at_unix: int
    scheduled_time_unix: int
    timezone: str | None = None
    last_updated_at_unix: int
    status: BatchStatus = "pending"
    retry_count: int = 0
    telephony_call_config: dict[str, Any] = Field(default_factory=dict)
    target_concurrency_limit: int | None = None
    dispatched: int = 0
    recipients: list[BatchRecipient] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "total_calls_dispatched": self.dispatched,
            "total_calls_scheduled": len(self.recipients),
            "total_calls_finished": sum(r.status in FINAL - {"cancelled"} for r in self.recipients),
        }


def batches(emu: Emulator) -> dict[str, BatchCall]:
    found: dict[str, BatchCall] = emu.state("elevenlabs").batch_calls
    return found


def concurrency(emu: Emulator, batch: BatchCall) -> int:
    if batch.target_concurrency_limit:
        return batch.target_concurrency_limit
    agent = emu.state("elevenlabs").agents.get(batch.agent_id)
    if agent is not None:
        tip = agent.tip(batch.branch_id or agent.main_branch_id)
        limit = (tip.platform_settings.get("call_limits") or {}).get("agent_concurrency_limit")
        if isinstance(limit, int) and limit > 0:
            return limit
    return max(1, int(WORKSPACE_CONCURRENCY * BATCH_SHARE))


def _set(batch: BatchCall, r: BatchRecipient, status: RecipientStatus, at: float) -> None:
    if r.status != status:
        r.status, r.updated_at_unix = status, int(at)
        batch.last_updated_at_unix = int(at)


def _mirror(emu: Emulator, batch: BatchCall, at: float) -> None:
    """Recipients whose call is placed follow their conversation."""
    conversations = emu.state("elevenlabs").conversations
    for r in batch.recipients:
        c = conversations.get(r.conversation_id or "")
        if c is None or r.status in FINAL:
            continue
        if c.status == "in-progress":
            _set(batch, r, "in_progress", at)
        elif c.status == "failed":
            _set(batch, r, "failed", at)
        elif c.status in ("processing", "done"):
            voicemail = (c.phone_call or {}).get("call_result") == "voicemail"
            _set(batch, r, "voicemail" if voicemail else "completed", at)


def _fail_batch(batch: BatchCall, at: float) -> None:
    for r in batch.recipients:
        if r.status in ("pending", "dispatched"):
            _set(batch, r, "failed", at)
    batch.status = "failed"


def _place(emu: Emulator, batch: BatchCall, r: BatchRecipient, at: float) -> None:
    state = emu.state("elevenlabs")
    agent = state.agents.get(batch.agent_id)
    number = state.phone_numbers.get(batch.phone_number_id or "")
    if agent is None or number is None:
        _fail_batch(batch, at)
        return
    initiation = dict(r.conversation_initiation_client_data or {})
    if batch.branch_id and not initiation.get("branch_id"):
        initiation["branch_id"] = batch.branch_id
    timeout = batch.telephony_call_config.get("ringing_timeout_secs")
    try:
        c = place_call(
            emu,
            agent,
            number,
            external_number=r.phone_number or "",
            initiation=initiation,
            at=at,
            ringing_timeout_s=timeout,
            batch_call={"batch_call_id": batch.id, "batch_call_recipient_id": r.id},
        )
    except CallRefused:
        _set(batch, r, "failed", at)
        return
    r.conversation_id = c.conversation_id
    _set(batch, r, "initiated", at)


def advance_batch(emu: Emulator, batch: BatchCall, at: float) -> None:
    """Everything one batch does at time `at`."""
    _mirror(emu, batch, at)
    if batch.status == "pending" and batch.scheduled_time_unix <= at:
        batch.status, batch.last_updated_at_unix = "in_progress", int(at)
    if batch.status != "in_progress":
        return
    for r in batch.recipients:
        if r.status == "dispatched" and (r.dispatched_at or 0) + DISPATCH_DELAY_S <= at:
            _place(emu, batch, r, (r.dispatched_at or at) + DISPATCH_DELAY_S)
            if batch.status != "in_progress":
                return
    free = concurrency(emu, batch) - sum(r.status in ACTIVE for r in batch.recipients)
    for r in batch.recipients:
        if free <= 0:
            break
        if r.status == "pending":
            _set(batch, r, "dispatched", at)
            r.dispatched_at = at
            batch.dispatched += 1
            free -= 1
    if all(r.status in FINAL for r in batch.recipients):
        batch.status, batch.last_updated_at_unix = "completed", int(at)


def _next_due(emu: Emulator) -> float | None:
    times = []
    for batch in batches(emu).values():
        if batch.status == "pending":
            times.append(float(batch.scheduled_time_unix))
        if batch.status == "in_progress":
            times += [
                (r.dispatched_at or 0) + DISPATCH_DELAY_S
                for r in batch.recipients
                if r.status == "dispatched"
            ]
    call = telephony.next_due(emu)
    if call is not None:
        times.append(call)
    return min(times, default=None)


def run_due(emu: Emulator) -> None:
    """Replay every call and batch event due by now, each at its own time."""
    now = emu.clock.now()
    ordered = sorted(batches(emu).values(), key=lambda b: (b.created_at_unix, b.id))
    for _ in range(MAX_STEPS):
        due = _next_due(emu)
        at = now if due is None or due > now else due
        telephony.advance(emu, at)
        for batch in ordered:
            advance_batch(emu, batch, at)
        if at == now:
            return
