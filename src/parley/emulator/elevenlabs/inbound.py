"""Simulated inbound phone calls and the conversation-initiation client-data webhook.

Control surface: `POST /_emulator/simulate {"provider": "elevenlabs", "options": {"inbound":
{"caller_id": "+1...", "phone_number_id" | "called_number" | "agent_id": ...}}}` rings the
imported number (found by id, by its number, or as the first number assigned to the agent); the
number must accept inbound calls and be assigned to an agent (its `branch_id` pins the branch).
The answer is `{conversation_id, call_sid, agent_id, phone_number_id}` with the call `initiated`.
On the next tick, while it rings, the emulator POSTs `{caller_id, agent_id, called_number,
call_sid}` to the conversation-initiation webhook (the agent's
`platform_settings.workspace_overrides` one, else the workspace settings' one) with its
`request_headers` (`{secret_id}` resolved from workspace secrets; `{env_var_label}` headers are
not emulated and are left out), but only when the agent enables
`overrides.enable_conversation_initiation_client_data_from_webhook`. The JSON answer's
`dynamic_variables`, `conversation_config_override` (each field must be allowed by the agent's
override permissions), `branch_id`, `user_id` and `custom_llm_extra_body` are merged in; then the
call is checked like any conversation start. The contract is silent on webhook failures, so the
emulator ends the call `failed` with `call_initiation_failure` (`failure_reason: "unknown"`,
the cause in `metadata.body.error`) when the webhook times out (`outgoing_timeout_s`), answers
non-2xx or no JSON object, names an unknown branch, or when the merged data leaves a required
dynamic variable missing or overrides a forbidden field. Otherwise the agent answers and the call
runs as telephony.py describes.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import HTTPException
from pydantic import BaseModel, ValidationError, model_validator

from parley.emulator.elevenlabs.agent_models import Agent, AgentVersion
from parley.emulator.elevenlabs.conversation_models import Conversation
from parley.emulator.elevenlabs.errors import ElevenLabsError
from parley.emulator.elevenlabs.phone_numbers import PhoneNumber
from parley.emulator.elevenlabs.postcall import send_initiation_failure
from parley.emulator.elevenlabs.settings import convai_settings, resolve_secret
from parley.emulator.elevenlabs.telephony import (
    CallPlan,
    CallRefused,
    check_initiation,
    failure_metadata,
    place_call,
    plan_of,
    save_plan,
)
from parley.emulator.elevenlabs.variables import SYSTEM, visible

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

# What the webhook's answer may set besides variables and overrides (the initiation schema).
PASSED_THROUGH = ("user_id", "custom_llm_extra_body", "branch_id", "environment", "source_info")


class InboundOptions(BaseModel):
    caller_id: str
    phone_number_id: str | None = None
    called_number: str | None = None
    agent_id: str | None = None

    @model_validator(mode="after")
    def _some_target(self) -> InboundOptions:
        if not (self.phone_number_id or self.called_number or self.agent_id):
            raise ValueError("give phone_number_id, called_number or agent_id")
        return self


class InitiationFailed(Exception):
    """The call cannot start; the message goes to call_initiation_failure's metadata."""


def _number(emu: Emulator, opts: InboundOptions) -> PhoneNumber:
    numbers: list[PhoneNumber] = sorted(
        emu.state("elevenlabs").phone_numbers.values(),
        key=lambda n: (n.created_at_unix_secs, n.phone_number_id),
    )
    for n in numbers:
        if (
            (opts.phone_number_id and n.phone_number_id == opts.phone_number_id)
            or (opts.called_number and n.phone_number == opts.called_number)
            or (not opts.phone_number_id and not opts.called_number and n.agent_id == opts.agent_id)
        ):
            return n
    raise HTTPException(404, "no imported phone number matches the inbound call")


def webhook_target(emu: Emulator, version: AgentVersion) -> dict[str, Any] | None:
    """The initiation webhook this agent version uses, or None when it takes no client data."""
    settings = version.platform_settings
    if not (settings.get("overrides") or {}).get(
        "enable_conversation_initiation_client_data_from_webhook"
    ):
        return None
    own = (settings.get("workspace_overrides") or {}).get(
        "conversation_initiation_client_data_webhook"
    )
    hook = own or convai_settings(emu).conversation_initiation_client_data_webhook
    return dict(hook) if hook and hook.get("url") else None


def simulate_inbound(emu: Emulator, raw: Any) -> dict[str, Any]:
    try:
        opts = InboundOptions.model_validate(raw)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False, include_context=False)) from exc
    number = _number(emu, opts)
    if not number.supports_inbound:
        raise HTTPException(400, f"phone number {number.phone_number_id} takes no inbound calls")
    if number.agent_id is None or (opts.agent_id and opts.agent_id != number.agent_id):
        raise HTTPException(400, f"phone number {number.phone_number_id} is not assigned to it")
    agent: Agent | None = emu.state("elevenlabs").agents.get(number.agent_id)
    if agent is None:
        raise HTTPException(404, f"agent {number.agent_id} not found")
    cid = emu.ids.elevenlabs("conv")
    try:
        version = agent.tip(number.branch_id) if number.branch_id else agent.route(cid)
    except ElevenLabsError as exc:
        raise HTTPException(exc.status, exc.message) from exc
    c = place_call(
        emu,
        agent,
        number,
        external_number=opts.caller_id,
        initiation={},
        direction="inbound",
        version=version,
        conversation_id=cid,
        deferred=True,
        webhook=webhook_target(emu, version),
    )
    return {
        "conversation_id": c.conversation_id,
        "call_sid": (c.phone_call or {}).get("call_sid"),
        "agent_id": agent.agent_id,
        "phone_number_id": number.phone_number_id,
    }


async def _ask(emu: Emulator, c: Conversation, hook: dict[str, Any]) -> dict[str, Any]:
    call = c.phone_call or {}
    body = {
        "caller_id": call.get("external_number"),
        "agent_id": c.agent_id,
        "called_number": call.get("agent_number"),
        "call_sid": call.get("call_sid"),
    }
    headers = {"content-type": "application/json"}
    for name, value in (hook.get("request_headers") or {}).items():
        resolved = resolve_secret(emu, value)
        if resolved is not None:
            headers[name] = resolved
    try:
        async with emu.http_client() as client:
            # The transport may not enforce timeouts (ASGI in tests), so bound the whole call.
            answer = await asyncio.wait_for(
                client.post(hook["url"], content=json.dumps(body).encode(), headers=headers),
                emu.config.outgoing_timeout_s,
            )
    except (TimeoutError, httpx.HTTPError) as exc:
        raise InitiationFailed(f"conversation initiation webhook failed: {exc!r}") from exc
    if not 200 <= answer.status_code < 300:
        raise InitiationFailed(f"conversation initiation webhook answered {answer.status_code}")
    try:
        data = answer.json()
    except ValueError as exc:
        raise InitiationFailed("conversation initiation webhook answered no JSON") from exc
    if not isinstance(data, dict):
        raise InitiationFailed("conversation initiation webhook answered no JSON object")
    return data


def _apply(emu: Emulator, c: Conversation, plan: CallPlan, data: dict[str, Any]) -> None:
    """Merge the webhook's answer (or nothing) and check the call may start."""
    agent: Agent | None = emu.state("elevenlabs").agents.get(c.agent_id)
    if agent is None:
        raise InitiationFailed(f"agent {c.agent_id} no longer exists")
    branch_id = data.get("branch_id")
    if branch_id:
        if branch_id not in agent.branches:
            raise InitiationFailed(f"branch {branch_id} not found")
        tip = agent.tip(branch_id)
        c.branch_id, c.version_id = tip.branch_id, tip.id
    version = agent.versions[c.version_id or ""]
    given = data.get("dynamic_variables") or {}
    own = {k: v for k, v in given.items() if not k.startswith(SYSTEM)}
    variables = {**own, **plan.variables}
    try:
        sections = check_initiation(version, data, variables)
    except CallRefused as refused:
        raise InitiationFailed(str(refused)) from refused
    initiation = {k: data[k] for k in PASSED_THROUGH if data.get(k) is not None}
    if sections:
        initiation["conversation_config_override"] = sections
    initiation["dynamic_variables"] = visible(variables)
    c.initiation, c.user_id = initiation, data.get("user_id")
    plan.overrides, plan.variables = sections, visible(variables)


async def _resolve(emu: Emulator, c: Conversation, plan: CallPlan) -> None:
    try:
        data = await _ask(emu, c, plan.webhook) if plan.webhook else {}
        _apply(emu, c, plan, data)
    except InitiationFailed as failed:
        metadata = failure_metadata(c, plan, "unknown")
        metadata["body"]["error"] = str(failed)
        send_initiation_failure(emu, c, "unknown", metadata)
        return
    # The webhook is asked while the phone rings, so the agent still picks up at the planned
    # time (even when a clock jump means that time has already passed: run_due catches up).
    plan.phase = "ringing"
    save_plan(c, plan)


async def tick(emu: Emulator) -> None:
    """Ask the initiation webhook for every inbound call that is ringing and not yet asked."""
    waiting = []
    for c in list(emu.state("elevenlabs").conversations.values()):
        plan = plan_of(c)
        if c.live and plan is not None and plan.phase == "webhook":
            # Marked before awaiting, so a concurrent tick does not ask twice.
            plan.phase = "webhook_sent"
            save_plan(c, plan)
            waiting.append((c, plan))
    for c, plan in waiting:
        await _resolve(emu, c, plan)
