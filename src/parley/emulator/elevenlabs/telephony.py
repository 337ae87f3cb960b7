"""The emulated phone network: placing calls, ringing, the callee's answer, the call's end.

A phone call is a conversation (status `initiated` while it rings, `in-progress` once answered)
plus a `CallPlan` kept in the conversation's ground-truth `outcome["call"]`. Time moves only with
the emulator clock: `advance(emu, at)` performs every transition due by `at`, each at its own
event time, so one big `/_emulator/advance` plays a whole call (or batch) out faithfully. Who
picks up is chosen by the destination number's last four digits, like a carrier's test numbers:
`0002` busy, `0003` no answer (rings until `ringing_timeout_secs`, default 60), `0004` voicemail,
`0005` failed; any other number answers after 2-8 s of ringing. Busy, no answer and failed calls
end `failed` with a `call_initiation_failure` webhook; voicemail and answered calls are real
conversations (Brain-written transcript, outcome and duration drawn from the seeded generator,
capped by `max_duration_seconds`) finished through `postcall.finish`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from parley.emulator import outcomes
from parley.emulator.elevenlabs.agent_models import Agent, AgentVersion
from parley.emulator.elevenlabs.conversation_models import Conversation, start_conversation
from parley.emulator.elevenlabs.phone_numbers import PhoneNumber
from parley.emulator.elevenlabs.postcall import finish, send_initiation_failure
from parley.emulator.elevenlabs.shapes import deep_merge
from parley.emulator.elevenlabs.simulate import _write_transcript
from parley.emulator.elevenlabs.variables import SYSTEM, missing, system_variables, visible
from parley.emulator.elevenlabs.ws import OVERRIDE_SECTIONS, forbidden_overrides

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

CallResult = Literal["answered", "busy", "no_answer", "voicemail", "failed"]
Phase = Literal["webhook", "webhook_sent", "ringing", "talking"]
CALLEE_BY_SUFFIX: dict[str, CallResult] = {
    "0002": "busy",
    "0003": "no_answer",
    "0004": "voicemail",
    "0005": "failed",
}
# call_initiation_failure's `failure_reason` uses Twilio's call-status spelling.
FAILURE_REASON = {"busy": "busy", "no_answer": "no-answer", "failed": "unknown"}
DEFAULT_RINGING_TIMEOUT_S = 60
METADATA_TYPE = {"twilio": "twilio", "sip_trunk": "sip_trunking", "exotel": "exotel"}
HUNG_UP_REASON = "Call ended by remote party"
VOICEMAIL_REASON = "Voicemail detected"
MAX_DURATION_REASON = "Maximum duration exceeded"


class CallRefused(Exception):
    """The call cannot start (override not allowed, dynamic variable missing)."""


class CallPlan(BaseModel):
    direction: Literal["outbound", "inbound"]
    provider: str
    result: CallResult
    phase: Phase
    next_at: float
    ringing_timeout_s: int = DEFAULT_RINGING_TIMEOUT_S
    # The overrides in force and the variables the transcript may render; secrets are checked
    # when the call starts and never stored, as for any conversation.
    overrides: dict[str, Any] = Field(default_factory=dict)
    variables: dict[str, Any] = Field(default_factory=dict)
    drawn: outcomes.Outcome | None = None
    # Inbound calls: the conversation-initiation webhook's target, resolved when the call rings.
    webhook: dict[str, Any] | None = None


def plan_of(c: Conversation) -> CallPlan | None:
    raw = (c.outcome or {}).get("call")
    return CallPlan.model_validate(raw) if raw is not None else None


def save_plan(c: Conversation, plan: CallPlan) -> None:
    c.outcome = {**(c.outcome or {}), "call": plan.model_dump(mode="json")}


def callee_result(number: str) -> CallResult:
    digits = "".join(ch for ch in number if ch.isdigit())
    return CALLEE_BY_SUFFIX.get(digits[-4:], "answered")


def check_initiation(
    version: AgentVersion, initiation: dict[str, Any], variables: dict[str, Any]
) -> dict[str, Any]:
    """The allowed override sections, or CallRefused (as the WebSocket's 1008 checks)."""
    override = initiation.get("conversation_config_override") or {}
    sections = {k: v for k, v in override.items() if k in OVERRIDE_SECTIONS and isinstance(v, dict)}
    allowed = (version.platform_settings.get("overrides") or {}).get(
        "conversation_config_override"
    ) or {}
    denied = forbidden_overrides(sections, allowed)
    if denied:
        raise CallRefused(f"Override for field '{denied[0]}' is not allowed by config.")
    absent = missing(deep_merge(version.conversation_config, sections), variables)
    if absent:
        raise CallRefused(
            f"Missing required dynamic variables in first message/tools: {set(absent)}"
        )
    return sections


def call_variables(
    given: dict[str, Any], agent_id: str, cid: str, at: float, caller: str, called: str, sid: str
) -> dict[str, Any]:
    """Client variables (never `system__*`) plus the platform's system ones for a phone call."""
    own = {k: v for k, v in given.items() if not k.startswith(SYSTEM)}
    system = system_variables(agent_id, cid, at, caller_id=caller)
    return {**own, **system, "system__called_number": called, "system__call_sid": sid}


def place_call(
    emu: Emulator,
    agent: Agent,
    number: PhoneNumber,
    *,
    external_number: str,
    initiation: dict[str, Any],
    direction: Literal["outbound", "inbound"] = "outbound",
    version: AgentVersion | None = None,
    at: float | None = None,
    ringing_timeout_s: int | None = None,
    batch_call: dict[str, Any] | None = None,
    conversation_id: str | None = None,
    deferred: bool = False,
    webhook: dict[str, Any] | None = None,
) -> Conversation:
    """Start a ringing call; CallRefused when its initiation data would be refused.

    `deferred` (inbound calls) skips the checks: inbound.py makes them once the
    conversation-initiation `webhook` (if any) has answered.
    """
    at = emu.clock.now() if at is None else at
    cid = conversation_id or emu.ids.elevenlabs("conv")
    branch_id = initiation.get("branch_id")
    chosen = version or (agent.tip(branch_id) if branch_id else agent.route(cid))
    sid = f"CA{emu.ids.hex(32)}"
    caller, called = (
        (number.phone_number, external_number)
        if direction == "outbound"
        else (external_number, number.phone_number)
    )
    variables = call_variables(
        initiation.get("dynamic_variables") or {}, agent.agent_id, cid, at, caller, called, sid
    )
    sections = {} if deferred else check_initiation(chosen, initiation, variables)
    stored = {k: v for k, v in initiation.items() if v is not None}
    stored["dynamic_variables"] = visible(variables)
    c = start_conversation(
        emu,
        agent,
        version=chosen,
        conversation_id=cid,
        initiation=stored,
        source=number.provider,
        started_at=at,
    )
    c.direction, c.batch_call = direction, batch_call
    c.phone_call = {
        "type": METADATA_TYPE.get(number.provider, "twilio"),
        "direction": direction,
        "phone_number_id": number.phone_number_id,
        "agent_number": number.phone_number,
        "external_number": external_number,
        "call_sid": sid,
    }
    if number.provider == "sip_trunk":
        c.phone_call["call_id"] = f"sip_{emu.ids.hex(24)}"
    else:
        c.phone_call["stream_sid"] = f"MZ{emu.ids.hex(32)}"
    result = callee_result(external_number) if direction == "outbound" else "answered"
    plan = CallPlan(
        direction=direction,
        provider=number.provider,
        result=result,
        phase="webhook" if deferred else "ringing",
        next_at=at + _ringing_time(emu, result, ringing_timeout_s or DEFAULT_RINGING_TIMEOUT_S),
        ringing_timeout_s=ringing_timeout_s or DEFAULT_RINGING_TIMEOUT_S,
        overrides=sections,
        variables=visible(variables),
        webhook=webhook,
    )
    save_plan(c, plan)
    return c


def _ringing_time(emu: Emulator, result: CallResult, timeout_s: int) -> float:
    """How long the phone rings before the outcome shows (a busy line fails at once)."""
    if result in ("busy", "failed"):
        return 1.0
    if result == "no_answer":
        return float(timeout_s)
    low, high = (10.0, 20.0) if result == "voicemail" else (2.0, 8.0)
    return min(float(timeout_s), round(emu.rng.uniform(low, high), 3))


def next_due(emu: Emulator) -> float | None:
    """The earliest pending call transition (ringing or talking), if any."""
    times = [
        plan.next_at
        for c in emu.state("elevenlabs").conversations.values()
        if c.live and (plan := plan_of(c)) is not None and plan.phase in ("ringing", "talking")
    ]
    return min(times, default=None)


def advance(emu: Emulator, at: float) -> None:
    """Perform every call transition due by `at`, each at its own time."""
    for c in list(emu.state("elevenlabs").conversations.values()):
        plan = plan_of(c)
        while c.live and plan is not None and plan.phase in ("ringing", "talking"):
            if plan.next_at > at:
                break
            if plan.phase == "ringing":
                _picked_up(emu, c, plan)
            else:
                _hang_up(emu, c, plan, plan.next_at, None)
            plan = plan_of(c)


def _picked_up(emu: Emulator, c: Conversation, plan: CallPlan) -> None:
    """The ringing ended at `plan.next_at`: a failure webhook, or the conversation starts."""
    assert c.phone_call is not None
    if plan.result in FAILURE_REASON:
        c.phone_call["call_result"] = plan.result
        reason = FAILURE_REASON[plan.result]
        send_initiation_failure(emu, c, reason, failure_metadata(c, plan, reason))
        return
    agent = emu.state("elevenlabs").agents.get(c.agent_id)
    version = agent.versions.get(c.version_id or "") if agent else None
    config = deep_merge(version.conversation_config if version else {}, plan.overrides)
    limit = (config.get("conversation") or {}).get("max_duration_seconds") or 0
    if plan.result == "voicemail":
        length = emu.rng.randint(15, 40)
        drawn = outcomes.Outcome(
            successful=False, duration_s=length, cost=0, data={}, evaluation={}, user_turns=0
        )
    else:
        model = outcomes.model_for(
            emu.outcome_rules,
            "elevenlabs",
            c.agent_id,
            version_id=c.version_id,
            branch_id=c.branch_id,
        )
        drawn = outcomes.draw(model or outcomes.OutcomeModel(), emu.rng)
    if limit > 0 and drawn.duration_s > limit:
        drawn = drawn.model_copy(update={"duration_s": int(limit), "successful": False})
    c.status, c.started_at = "in-progress", plan.next_at
    c.start_time_unix_secs = int(plan.next_at)
    c.outcome = {
        **(c.outcome or {}),
        "successful": drawn.successful,
        "data": drawn.data,
        "evaluation": drawn.evaluation,
    }
    plan.phase, plan.drawn = "talking", drawn
    plan.next_at += drawn.duration_s
    save_plan(c, plan)


def failure_metadata(c: Conversation, plan: CallPlan, reason: str) -> dict[str, Any]:
    """`metadata` of call_initiation_failure: the telephony provider's own report."""
    call = c.phone_call or {}
    if plan.provider == "sip_trunk":
        code = {"busy": 486, "no-answer": 408}.get(reason, 500)
        return {"type": "sip", "body": {"call_id": call.get("call_id"), "sip_status_code": code}}
    body = {
        "CallSid": call.get("call_sid"),
        "CallStatus": reason,
        "To": call.get("external_number"),
    }
    return {"type": plan.provider, "body": body}


def _hang_up(emu: Emulator, c: Conversation, plan: CallPlan, at: float, reason: str | None) -> None:
    """End an answered call at `at`: write its transcript so far, then finish it."""
    assert plan.drawn is not None
    assert c.phone_call is not None
    elapsed = max(1, int(at - c.started_at))
    drawn = plan.drawn
    full = elapsed >= drawn.duration_s
    if not full:
        # Cut short: fewer turns, and the user never got to say goodbye.
        turns = min(drawn.user_turns, max(0, elapsed // 30))
        drawn = drawn.model_copy(
            update={"duration_s": elapsed, "successful": False, "user_turns": turns}
        )
        c.outcome = {**(c.outcome or {}), "successful": False}
    agent = emu.state("elevenlabs").agents.get(c.agent_id)
    version = agent.versions.get(c.version_id or "") if agent else None
    if version is not None:
        effective = version.model_copy(
            update={"conversation_config": deep_merge(version.conversation_config, plan.overrides)}
        )
        _write_transcript(c, effective, plan.variables, drawn)
    c.phone_call["call_result"] = "voicemail" if plan.result == "voicemail" else "answered"
    if reason is None:
        limited = full and not drawn.successful and _capped(version, plan, drawn.duration_s)
        reason = (
            VOICEMAIL_REASON
            if plan.result == "voicemail"
            else MAX_DURATION_REASON
            if limited
            else "end_call tool was called."
            if drawn.successful
            else HUNG_UP_REASON
        )
    finish(emu, c, reason, farewell=drawn.successful, duration_secs=elapsed)


def _capped(version: AgentVersion | None, plan: CallPlan, duration: int) -> bool:
    config = deep_merge(version.conversation_config if version else {}, plan.overrides)
    limit = (config.get("conversation") or {}).get("max_duration_seconds") or 0
    return bool(limit > 0 and duration >= limit)


def owns(c: Conversation) -> bool:
    return plan_of(c) is not None


def end_now(emu: Emulator, c: Conversation, reason: str) -> bool:
    """`/_emulator/advance` `end_calls`: a ringing call stops ringing, a talking one hangs up."""
    plan = plan_of(c)
    if plan is None or not c.live:
        return False
    if plan.phase == "talking":
        _hang_up(emu, c, plan, emu.clock.now(), reason)
    else:
        send_initiation_failure(emu, c, "unknown", failure_metadata(c, plan, "unknown"))
    return True
