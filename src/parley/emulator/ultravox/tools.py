"""The tools a call can use: `selectedTools` checked and resolved against the account's tools.

A `SelectedTool` names a durable or built-in tool (`toolName`/`toolId`) or carries a
`temporaryTool` whose implementation is `client`, `http` or `dataConnection`. The model-facing
name is `nameOverride`, else the definition's `modelToolName`, else the durable tool's name;
`toolOverrides` on an agent call removes by that name before adding. A durable tool shadows a
built-in of the same name when referenced by name (documented). Resolution happens when an agent
is saved and again when a call starts, whose resolved copy (`CallRecord.tools`) is what the
emulated agent runs, so editing a durable tool does not change a live call.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from parley.emulator.ultravox.builtin_tools import BUILT_IN, BY_ID
from parley.emulator.ultravox.schemas import ToolDefinition
from parley.emulator.ultravox.state import ResolvedTool, ToolRecord, UltravoxState

NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
KINDS = ("http", "client", "dataConnection")


def find(state: UltravoxState, selected: dict[str, Any]) -> ToolRecord | None:
    """The durable or built-in tool a `toolId`/`toolName` reference points at."""
    if selected.get("toolId"):
        tool_id = str(selected["toolId"])
        return state.tools.get(tool_id) or BY_ID.get(tool_id)
    name = str(selected.get("toolName") or "")
    own = next((t for t in state.tools.values() if t.name == name), None)
    return own or BUILT_IN.get(name)


def model_name(selected: dict[str, Any], state: UltravoxState | None = None) -> str:
    temporary = selected.get("temporaryTool") or {}
    found = find(state, selected) if state is not None and not temporary else None
    durable = (found.definition.get("modelToolName") or found.name) if found else None
    return str(
        selected.get("nameOverride")
        or temporary.get("modelToolName")
        or durable
        or selected.get("toolName")
        or selected.get("toolId")
        or ""
    )


def apply_overrides(
    tools: list[dict[str, Any]], overrides: dict[str, Any], state: UltravoxState | None = None
) -> list[dict[str, Any]]:
    if overrides.get("removeAll"):
        kept: list[dict[str, Any]] = []
    else:
        removed = set(overrides.get("remove") or [])
        kept = [t for t in tools if model_name(t, state) not in removed]
    return kept + list(overrides.get("add") or [])


def resolve(state: UltravoxState, selected: dict[str, Any]) -> ResolvedTool | str:
    """The runnable tool for one `SelectedTool`, or why it cannot be used (a DRF message)."""
    temporary = selected.get("temporaryTool")
    if isinstance(temporary, dict):
        try:
            definition = ToolDefinition.model_validate(temporary).wire()
        except ValidationError as exc:
            return "temporaryTool: " + "; ".join(_messages(exc))
        builtin = False
    else:
        found = find(state, selected)
        if found is None:
            ref = "toolId" if selected.get("toolId") else "toolName"
            return f"Tool with {ref} {selected.get(ref)!r} does not exist."
        definition = found.definition
        builtin = found.tool_id in BY_ID
    name = model_name(selected, state)
    overrides = dict(selected.get("parameterOverrides") or {})
    tokens = {str(k): str(v) for k, v in (selected.get("authTokens") or {}).items()}
    requirements = definition.get("requirements") or {}
    missing = [
        p for p in requirements.get("requiredParameterOverrides") or [] if p not in overrides
    ]
    if missing:
        return f"Tool {name!r} requires parameterOverrides for {', '.join(missing)}."
    options = (requirements.get("httpSecurityOptions") or {}).get("options") or []
    if options and security_option(options, tokens) is None:
        return f"Tool {name!r}: authTokens satisfy none of its httpSecurityOptions."
    if "description" in definition and selected.get("descriptionOverride"):
        definition = {**definition, "description": selected["descriptionOverride"]}
    kind = "builtin" if builtin else next((k for k in KINDS if k in definition), "client")
    return ResolvedTool(
        name=name, kind=kind, definition=definition, auth_tokens=tokens,
        parameter_overrides=overrides,
    )  # fmt: skip


def security_option(options: list[dict[str, Any]], tokens: dict[str, str]) -> dict[str, Any] | None:
    """The first option `tokens` satisfy, preferring any non-empty one over an empty one."""
    satisfied = [o for o in options if set(o.get("requirements") or {}) <= set(tokens)]
    non_empty = [o for o in satisfied if o.get("requirements")]
    best = non_empty or satisfied
    return best[0] if best else None


def resolve_all(
    state: UltravoxState, selected: list[dict[str, Any]]
) -> tuple[list[ResolvedTool], list[str]]:
    """Resolved tools and problems: exactly one source per tool, unique valid model names."""
    problems: list[str] = []
    resolved: list[ResolvedTool] = []
    seen: set[str] = set()
    for tool in selected:
        sources = [k for k in ("toolId", "toolName", "temporaryTool") if tool.get(k)]
        if len(sources) != 1:
            problems.append("Exactly one of toolId, toolName or temporaryTool must be set.")
            continue
        result = resolve(state, tool)
        if isinstance(result, str):
            problems.append(result)
            continue
        if not NAME.fullmatch(result.name):
            problems.append(f"Invalid tool name {result.name!r}.")
        elif result.name in seen:
            problems.append(f"Duplicate tool name {result.name!r}.")
        seen.add(result.name)
        resolved.append(result)
    return resolved, problems


def _messages(exc: ValidationError) -> list[str]:
    out = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        out.append(f"{where}: {error['msg']}" if where else error["msg"])
    return out
