"""Calling a tool's parameters into place, and calling HTTP tools for real, as Ultravox does.

Parameters come from three places: the model's arguments (`dynamicParameters`, replaced by the
selected tool's `parameterOverrides`), `staticParameters`, and `automaticParameters` filled from
the call (`KNOWN_PARAM_CALL_ID`, ...). Each goes where its `location` says: path placeholders in
`baseUrlPattern`, the query string, a header, or the JSON body (the default). Arguments the tool
does not declare go to the body (the query string for GET/DELETE): the emulated model only says
what the user typed, and dropping it would hide mistakes. Auth comes from the first
`httpSecurityOptions` entry the selected tool's `authTokens` satisfy. The answer's body is the
result; 4xx/5xx mark it failed; `X-Ultravox-Response-Type` / `X-Ultravox-Agent-Reaction` (or the
tool's `defaultReaction`) steer what the agent does next.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from parley.emulator.ultravox.state import CallRecord, ResolvedTool
from parley.emulator.ultravox.tools import security_option
from parley.emulator.ultravox.views import message_view
from parley.emulator.ultravox.wire import parse_duration

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

BODY, QUERY = "PARAMETER_LOCATION_BODY", "PARAMETER_LOCATION_QUERY"
PATH, HEADER = "PARAMETER_LOCATION_PATH", "PARAMETER_LOCATION_HEADER"
DEFAULT_TIMEOUT = "2.5s"  # documented default
REACTIONS = {
    "AGENT_REACTION_SPEAKS": "speaks",
    "AGENT_REACTION_LISTENS": "listens",
    "AGENT_REACTION_SPEAKS_ONCE": "speaks-once",
}


@dataclass
class Placed:
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    text: str
    failed: bool = False
    error_details: str | None = None
    response_type: str | None = None
    reaction: str | None = None


def known_values(call: CallRecord) -> dict[str, Any]:
    medium = call.config.get("medium") or {}
    rate = (medium.get("serverWebSocket") or {}).get("outputSampleRate") or 48000
    history = [*call.initial_messages, *call.messages]
    return {
        "KNOWN_PARAM_CALL_ID": call.call_id,
        "KNOWN_PARAM_CALL_STAGE_ID": call.stage_id,
        "KNOWN_PARAM_CALL_STATE": dict(call.call_state),
        "KNOWN_PARAM_CALL_METADATA": dict(call.metadata),
        "KNOWN_PARAM_OUTPUT_SAMPLE_RATE": rate,
        "KNOWN_PARAM_CONVERSATION_HISTORY": [
            message_view(call, m, i) for i, m in enumerate(history)
        ],
    }


def place(tool: ResolvedTool, arguments: dict[str, Any], call: CallRecord) -> Placed:
    definition = tool.definition
    method = str((definition.get("http") or {}).get("httpMethod") or "POST").upper()
    loose = QUERY if method in ("GET", "DELETE") else BODY
    declared = {p.get("name"): p for p in definition.get("dynamicParameters") or []}
    values: list[tuple[str, str, Any]] = []
    for name, value in arguments.items():
        if name not in tool.parameter_overrides:
            values.append((_where(declared.get(name, {}).get("location"), loose), name, value))
    for name, value in tool.parameter_overrides.items():
        values.append((_where(declared.get(name, {}).get("location"), BODY), name, value))
    for param in definition.get("staticParameters") or []:
        values.append((_where(param.get("location"), BODY), param["name"], param.get("value")))
    known = known_values(call)
    for param in definition.get("automaticParameters") or []:
        if param.get("knownValue") in known:
            values.append((_where(param.get("location"), BODY), param["name"],
                           known[param["knownValue"]]))  # fmt: skip
    placed = Placed()
    given = {name for _, name, _ in values}
    placed.missing = [n for n, p in declared.items() if p.get("required") and n not in given]
    for location, name, value in values:
        if location == PATH:
            placed.path[name] = value
        elif location == QUERY:
            placed.query[name] = _text(value)
        elif location == HEADER:
            placed.headers[name] = _text(value)
        else:
            placed.body[name] = value
    return placed


async def invoke(
    emu: Emulator, call: CallRecord, tool: ResolvedTool, arguments: dict[str, Any]
) -> Outcome:
    """Make the tool's HTTP request through the emulator's outgoing client."""
    definition = tool.definition
    placed = place(tool, arguments, call)
    if placed.missing:
        return Outcome("Missing required parameters.", True,
                       f"Missing required parameters: {', '.join(placed.missing)}")  # fmt: skip
    http = definition.get("http") or {}
    url = str(http.get("baseUrlPattern") or "")
    for name, value in placed.path.items():
        url = url.replace("{" + name + "}", quote(_text(value), safe=""))
    _authorize(emu, call, tool, placed)
    timeout = parse_duration(str(definition.get("timeout") or DEFAULT_TIMEOUT))
    try:
        async with emu.http_client() as client:
            answer = await client.request(
                str(http.get("httpMethod") or "POST").upper(), url, params=placed.query,
                headers=placed.headers, json=placed.body or None, timeout=timeout,
            )  # fmt: skip
    except httpx.TimeoutException:
        return Outcome("The tool timed out.", True, f"No answer from {url} within {timeout:g}s.")
    except httpx.HTTPError as exc:
        return Outcome("The tool could not be reached.", True, f"{type(exc).__name__}: {exc}")
    failed = answer.status_code >= 400
    static = (definition.get("staticResponse") or {}).get("responseText")
    reaction = answer.headers.get("x-ultravox-agent-reaction") or REACTIONS.get(
        str(definition.get("defaultReaction") or "")
    )
    return Outcome(
        text=static if static is not None and not failed else answer.text,
        failed=failed,
        error_details=f"HTTP {answer.status_code} from {url}" if failed else None,
        response_type=answer.headers.get("x-ultravox-response-type"),
        reaction=reaction,
    )


def _authorize(emu: Emulator, call: CallRecord, tool: ResolvedTool, placed: Placed) -> None:
    options = ((tool.definition.get("requirements") or {}).get("httpSecurityOptions") or {}).get(
        "options"
    ) or []
    option = security_option(options, tool.auth_tokens) or {}
    for key, requirement in (option.get("requirements") or {}).items():
        token = tool.auth_tokens[key]
        if "queryApiKey" in requirement:
            placed.query[requirement["queryApiKey"].get("name") or key] = token
        elif "headerApiKey" in requirement:
            placed.headers[requirement["headerApiKey"].get("name") or key] = token
        elif "httpAuth" in requirement:
            scheme = requirement["httpAuth"].get("scheme") or "Bearer"
            placed.headers["Authorization"] = f"{scheme} {token}"
    if "ultravoxCallTokenRequirement" in option:
        # Only Ultravox can verify these; the emulator signs the call id with its seed.
        key = f"ultravox-call-token-{emu.seed}".encode()
        token = hmac.new(key, call.call_id.encode(), hashlib.sha256).hexdigest()
        placed.headers["X-Ultravox-Call-Token"] = token


def _where(location: Any, default: str) -> str:
    return default if location in (None, "", "PARAMETER_LOCATION_UNSPECIFIED") else str(location)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
