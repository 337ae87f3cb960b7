"""The tools a call can use, as the emulated agent sees them: model-facing name and kind.

A `SelectedTool` names a durable or built-in tool (`toolName`/`toolId`) or carries a
`temporaryTool` whose implementation is `client`, `http` or `dataConnection`. The model-facing
name is `nameOverride`, else `modelToolName`, else `toolName`; `toolOverrides` on an agent call
removes by that name before adding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BUILT_IN = (
    "hangUp",
    "queryCorpus",
    "leaveVoicemail",
    "playDtmfSounds",
    "coldTransfer",
    "warmTransfer",
)


@dataclass(frozen=True)
class ToolInfo:
    name: str
    kind: str  # "client", "http", "dataConnection", "builtin" or "durable"
    definition: dict[str, Any]


def model_name(selected: dict[str, Any]) -> str:
    temporary = selected.get("temporaryTool") or {}
    return str(
        selected.get("nameOverride")
        or temporary.get("modelToolName")
        or selected.get("toolName")
        or selected.get("toolId")
        or ""
    )


def info(selected: dict[str, Any]) -> ToolInfo:
    temporary = selected.get("temporaryTool")
    name = model_name(selected)
    if isinstance(temporary, dict):
        kind = next((k for k in ("client", "http", "dataConnection") if k in temporary), "client")
        return ToolInfo(name, kind, temporary)
    return ToolInfo(name, "builtin" if name in BUILT_IN else "durable", {})


def apply_overrides(tools: list[dict[str, Any]], overrides: dict[str, Any]) -> list[dict[str, Any]]:
    if overrides.get("removeAll"):
        kept: list[dict[str, Any]] = []
    else:
        removed = set(overrides.get("remove") or [])
        kept = [t for t in tools if model_name(t) not in removed]
    return kept + list(overrides.get("add") or [])


def validate(tools: list[dict[str, Any]]) -> list[str]:
    """Problems with a tool list: exactly one source per tool, unique valid model names."""
    import re

    problems: list[str] = []
    seen: set[str] = set()
    for tool in tools:
        sources = [k for k in ("toolId", "toolName", "temporaryTool") if tool.get(k)]
        if len(sources) != 1:
            problems.append("Exactly one of toolId, toolName or temporaryTool must be set.")
            continue
        name = model_name(tool)
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name):
            problems.append(f"Invalid tool name {name!r}.")
        elif name in seen:
            problems.append(f"Duplicate tool name {name!r}.")
        seen.add(name)
    return problems
