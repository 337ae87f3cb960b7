"""Starting calls: direct (`POST /api/calls`) or from an agent's `callTemplate`.

Both paths produce the same `CallRecord`: configuration merged (template, then the request's
overrides), templated fields rendered from `templateContext` with the Brain's `{{var}}` renderer,
tools resolved, a `joinUrl` pointing at this emulator's WebSocket, and `call.started` queued.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.emulator.brain import render
from parley.emulator.ultravox import lifecycle, tools, voices
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.schemas import StartAgentCallRequest, StartCallRequest
from parley.emulator.ultravox.state import AgentRecord, CallRecord, MessageRecord
from parley.emulator.ultravox.wire import parse_duration

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

# Call-request fields an agent call may override on top of the agent's template.
AGENT_OVERRIDES = (
    "medium", "joinTimeout", "maxDuration", "recordingEnabled", "initialOutputMedium",
    "firstSpeakerSettings", "dataConnection", "voice", "voiceOverrides", "retentionPolicy",
    "callbacks",
)  # fmt: skip
# Not echoed on the Call object (or echoed under another name / elsewhere).
NOT_ECHOED = ("name", "created", "updated", "contextSchema", "sharedSecrets", "initialMessages",
              "metadata", "initialState", "experimentalSettings", "firstSpeaker")  # fmt: skip
JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict,
    "array": list,
}  # fmt: skip


def start_direct(emu: Emulator, body: StartCallRequest, prior_call_id: str | None) -> CallRecord:
    config = body.model_dump(exclude_none=True)
    initial = config.pop("initialMessages", None)
    if prior_call_id is not None:
        prior = lifecycle.state(emu).calls.get(prior_call_id)
        if prior is None:
            raise UltravoxError(404, "Prior call not found.")
        if initial is not None:
            raise UltravoxError(400, {"initialMessages": ["Cannot be set with priorCallId."]})
        config = {**prior.config, **config}
        history = [*prior.initial_messages, *prior.messages]
        initial = [_message_json(m) for m in history]
    if body.firstSpeaker == "FIRST_SPEAKER_USER" and "firstSpeakerSettings" not in config:
        config["firstSpeakerSettings"] = {"user": {}}
    return _build(
        emu,
        config,
        agent=None,
        context={},
        initial=initial or [],
        metadata=body.metadata or {},
        initial_state=body.initialState or {},
        experimental=body.experimentalSettings,
        secrets=body.sharedSecrets or [],
    )


def start_from_agent(emu: Emulator, agent: AgentRecord, body: StartAgentCallRequest) -> CallRecord:
    config = {k: v for k, v in agent.call_template.items() if k not in ("created", "updated")}
    request = body.model_dump(exclude_none=True)
    for key in AGENT_OVERRIDES:
        if key in request:
            config[key] = request[key]
    if body.voice is not None:
        config.pop("externalVoice", None)
    if body.toolOverrides is not None:
        selected = list(config.get("selectedTools") or [])
        config["selectedTools"] = tools.apply_overrides(
            selected, body.toolOverrides, lifecycle.state(emu)
        )
    context = body.templateContext or {}
    _check_context(agent.call_template.get("contextSchema"), context)
    return _build(
        emu,
        config,
        agent=agent,
        context=context,
        initial=body.initialMessages or [],
        metadata=body.metadata or {},
        initial_state={},
        experimental=body.experimentalSettings,
        secrets=body.sharedSecrets or agent.shared_secrets,
    )


def check_voice(emu: Emulator, config: dict[str, Any], field: str = "voice") -> None:
    voice = config.get("voice")
    if voice and voices.resolve(emu, voice) is None:
        raise UltravoxError(400, {field: [f"Voice {voice!r} not found."]})


def _build(
    emu: Emulator,
    config: dict[str, Any],
    *,
    agent: AgentRecord | None,
    context: dict[str, Any],
    initial: list[dict[str, Any]],
    metadata: dict[str, str],
    initial_state: dict[str, Any],
    experimental: Any,
    secrets: list[str],
) -> CallRecord:
    check_voice(emu, config)
    config = _render(config, context)
    selected = list(config.get("selectedTools") or [])
    resolved, problems = tools.resolve_all(lifecycle.state(emu), selected)
    if problems:
        raise UltravoxError(400, {"selectedTools": problems})
    call_id = emu.ids.uuid()
    medium = config.get("medium") or {}
    outgoing_sip = "outgoing" in (medium.get("sip") or {})
    greeting, user_first = _greeting(config, context, agent)
    call = CallRecord(
        call_id=call_id,
        stage_id=emu.ids.uuid(),
        created=emu.clock.now(),
        agent_id=agent.agent_id if agent else None,
        agent_name=agent.name if agent else None,
        config={k: v for k, v in config.items() if k not in NOT_ECHOED},
        metadata=dict(metadata),
        template_context=dict(context),
        initial_state=dict(initial_state),
        call_state=dict(initial_state),
        experimental_settings=experimental,
        shared_secrets=list(secrets),
        # Outgoing SIP calls are dialled by Ultravox and have no joinUrl.
        join_url=None
        if outgoing_sip
        else f"{emu.config.public_ws_url}/ultravox/calls/{call_id}/join",
        greeting=greeting,
        user_first=user_first,
        join_timeout_s=parse_duration(config.get("joinTimeout", "30s")),
        max_duration_s=parse_duration(config.get("maxDuration", "3600s")),
        initial_messages=[_message_record(m) for m in initial],
        tools=resolved,
    )
    lifecycle.state(emu).calls[call_id] = call
    lifecycle.started(emu, call)
    return call


def _render(config: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Fill the documented template fields from templateContext."""
    out = dict(config)
    for key in ("systemPrompt", "languageHint", "timeExceededMessage"):
        if isinstance(out.get(key), str):
            out[key] = render(out[key], context)
    out["inactivityMessages"] = [
        {**m, "message": render(m["message"], context)} if isinstance(m.get("message"), str) else m
        for m in out.get("inactivityMessages") or []
    ]
    rendered_tools = []
    for selected in out.get("selectedTools") or []:
        temporary = selected.get("temporaryTool")
        if isinstance(temporary, dict) and isinstance(temporary.get("description"), str):
            temporary = {**temporary, "description": render(temporary["description"], context)}
            selected = {**selected, "temporaryTool": temporary}
        rendered_tools.append(selected)
    if rendered_tools:
        out["selectedTools"] = rendered_tools
    return out


def _greeting(
    config: dict[str, Any], context: dict[str, Any], agent: AgentRecord | None
) -> tuple[str | None, bool]:
    """What the agent says first, and whether the user is expected to speak first."""
    settings = config.get("firstSpeakerSettings") or {"agent": {}}
    if "user" in settings:
        fallback = (settings.get("user") or {}).get("fallback") or {}
        text = fallback.get("text")
        return (render(text, context) if text else None), True
    text = (settings.get("agent") or {}).get("text")
    if text:
        # Rendered too, although the contract does not list the greeting as templated.
        return render(text, context), False
    who = f"this is {agent.name}" if agent and agent.name else "thanks for calling"
    return f"Hello, {who}. How can I help you today?", False


def _check_context(schema: Any, context: dict[str, Any]) -> None:
    """A minimal JSON-Schema check of templateContext: required keys and top-level types."""
    if not isinstance(schema, dict):
        return
    problems = [
        f"Missing required property {k!r}." for k in schema.get("required", []) if k not in context
    ]
    for key, sub in (schema.get("properties") or {}).items():
        wanted = JSON_TYPES.get(sub.get("type", "")) if isinstance(sub, dict) else None
        if key in context and wanted and not isinstance(context[key], wanted):
            problems.append(f"Property {key!r} must be of type {sub['type']}.")
    if problems:
        raise UltravoxError(400, {"templateContext": problems})


def _message_record(raw: dict[str, Any]) -> MessageRecord:
    return MessageRecord(
        role=str(raw.get("role", "MESSAGE_ROLE_UNSPECIFIED")),
        text=str(raw.get("text", "")),
        medium=str(raw.get("medium", "MESSAGE_MEDIUM_TEXT")),
        invocation_id=raw.get("invocationId"),
        tool_name=raw.get("toolName"),
    )


def _message_json(message: MessageRecord) -> dict[str, Any]:
    body: dict[str, Any] = {"role": message.role, "text": message.text, "medium": message.medium}
    if message.invocation_id:
        body["invocationId"] = message.invocation_id
    if message.tool_name:
        body["toolName"] = message.tool_name
    return body
