"""Dynamic variables: system ones, required ones, and rendering that keeps secrets from the LLM.

`system__*` names are reserved and filled by the platform. `secret__*` values may only reach tool
and webhook headers, so text rendered for the "LLM" (prompt, first message) leaves them as they
are. A name used in the first message, prompt or tools that nobody supplies is an error that
closes the conversation with 1008.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from parley.emulator.brain import render, template_names

SECRET = "secret__"
SYSTEM = "system__"


def system_variables(
    agent_id: str, conversation_id: str, now: float, caller_id: str | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "system__agent_id": agent_id,
        "system__current_agent_id": agent_id,
        "system__conversation_id": conversation_id,
        "system__time_utc": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "system__call_duration_secs": 0,
    }
    if caller_id:
        values["system__caller_id"] = caller_id
    return values


def render_for_llm(text: str, variables: dict[str, Any]) -> str:
    """`text` with `{{var}}` filled in, except `secret__*` ones, which never reach the LLM."""
    return render(text, {k: v for k, v in variables.items() if not k.startswith(SECRET)})


def referenced(config: dict[str, Any]) -> set[str]:
    """Every variable the first message, the prompt or the inline tools use."""
    agent = config.get("agent") or {}
    prompt = agent.get("prompt") or {}
    texts = [agent.get("first_message") or "", prompt.get("prompt") or ""]
    texts.append(json.dumps(prompt.get("tools") or []))
    return set().union(*(template_names(t) for t in texts))


def missing(config: dict[str, Any], variables: dict[str, Any]) -> list[str]:
    return sorted(name for name in referenced(config) if name.split(".")[0] not in variables)


def visible(variables: dict[str, Any]) -> dict[str, Any]:
    """What may be stored and shown later: everything but secrets."""
    return {k: v for k, v in variables.items() if not k.startswith(SECRET)}
