"""The emulated agent's mind: deterministic replies, tool calls when asked, and hanging up.

Given the same conversation it always answers the same way, so tests and demos are repeatable.
Rules, in order: a farewell ends the call; a message that names one of the agent's tools (or
says `use tool NAME {json}`) calls that tool with the JSON as parameters; anything else gets an
acknowledgement that quotes the user, picked by a stable hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")
FAREWELL = re.compile(r"\b(bye|goodbye|hang up|end the call)\b", re.IGNORECASE)
TOOL_REQUEST = re.compile(r"\buse tool ([A-Za-z0-9_.-]+)\s*(\{.*\})?", re.IGNORECASE | re.DOTALL)

REPLIES = (
    "Thanks, {echo}. Could you tell me a little more?",
    "I understand: {echo}. What matters most to you here?",
    "Got it, {echo}. Let me make a note of that.",
    "That makes sense: {echo}. Shall we look at the next step?",
)
GOODBYE = "Thank you for your time. Goodbye!"


def render(text: str, variables: dict[str, Any]) -> str:
    """Fill `{{name}}` (and `{{a.b}}`) from `variables`; unknown names are left as they are."""

    def value(match: re.Match[str]) -> str:
        current: Any = variables
        for part in match.group(1).split("."):
            if not isinstance(current, dict) or part not in current:
                return match.group(0)
            current = current[part]
        return str(current)

    return TEMPLATE.sub(value, text)


def template_names(text: str) -> set[str]:
    return {m.group(1) for m in TEMPLATE.finditer(text)}


@dataclass(frozen=True)
class ToolCall:
    name: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    text: str
    tool_call: ToolCall | None = None
    end_call: bool = False


@dataclass
class Brain:
    tools: list[str] = field(default_factory=list)

    def reply(self, user_text: str, turn: int) -> Reply:
        text = user_text.strip()
        if FAREWELL.search(text):
            return Reply(GOODBYE, end_call=True)
        call = self._tool_call(text)
        if call is not None:
            return Reply(f"One moment, I'll use {call.name}.", tool_call=call)
        echo = text if len(text) <= 80 else text[:77] + "..."
        digest = hashlib.sha256(f"{turn}:{text}".encode()).digest()
        return Reply(REPLIES[digest[0] % len(REPLIES)].format(echo=echo))

    def after_tool(self, call: ToolCall, result: str, is_error: bool) -> Reply:
        if is_error:
            return Reply(f"Sorry, {call.name} did not work this time.")
        short = result if len(result) <= 120 else result[:117] + "..."
        return Reply(f"{call.name} says: {short}")

    def _tool_call(self, text: str) -> ToolCall | None:
        explicit = TOOL_REQUEST.search(text)
        if explicit:
            name = explicit.group(1)
            params = _json_object(explicit.group(2))
            return ToolCall(name, params) if not self.tools or name in self.tools else None
        for name in self.tools:
            if re.search(rf"\b{re.escape(name)}\b", text):
                return ToolCall(name, _json_object(_first_object(text)))
        return None


def _first_object(text: str) -> str | None:
    start = text.find("{")
    end = text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else None


def _json_object(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
