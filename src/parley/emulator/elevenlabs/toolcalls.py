"""Tools during a live conversation: which tools an agent has, and calling a server (webhook) tool.

An agent's tools are its workspace tools (`prompt.tool_ids`), its inline tools (`prompt.tools`)
and its enabled built-in system tools. A webhook tool is called over real HTTP through the
emulator's outgoing client: `{placeholders}` in the URL come from the parameters, the rest go in
the query (GET/DELETE) or the JSON body, and headers resolve secrets and dynamic variables. The
call is recorded in the transcript the way ElevenLabs records it (`tool_details`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel

from parley.emulator.elevenlabs.settings import resolve_secret

if TYPE_CHECKING:
    from parley.emulator.state import Emulator


def agent_tools(emu: Emulator, config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tool name -> tool config (with `type`) for everything the agent may call."""
    prompt = (config.get("agent") or {}).get("prompt") or {}
    tools: dict[str, dict[str, Any]] = {}
    stored = emu.state("elevenlabs").tools
    for tool_id in prompt.get("tool_ids") or []:
        record = stored.get(tool_id)
        found = getattr(record, "tool_config", None) if record is not None else None
        if isinstance(found, BaseModel):
            found = found.model_dump()
        if isinstance(found, dict) and found.get("name"):
            tools[found["name"]] = {**found, "tool_id": tool_id}
    for tool in prompt.get("tools") or []:
        if isinstance(tool, dict) and tool.get("name"):
            tools[tool["name"]] = tool
    for name, value in (prompt.get("built_in_tools") or {}).items():
        if value:
            tools.setdefault(
                name, {"type": "system", "name": name, "params": {"system_tool_type": name}}
            )
    return tools


def _header(emu: Emulator, value: Any, variables: dict[str, Any]) -> str | None:
    if isinstance(value, dict) and "variable_name" in value:
        found = variables.get(value["variable_name"])
        return None if found is None else str(found)
    return resolve_secret(emu, value)


async def call_webhook(
    emu: Emulator, tool: dict[str, Any], params: dict[str, Any], variables: dict[str, Any]
) -> tuple[str, bool, dict[str, Any]]:
    """Call a server tool; returns (result text, is_error, tool_details)."""
    schema = tool.get("api_schema") or {}
    method = (schema.get("method") or "GET").upper()
    url = str(schema.get("url") or "")
    remaining = dict(params)
    path_params = {}
    for name in list(remaining):
        if "{" + name + "}" in url:
            path_params[name] = remaining.pop(name)
            url = url.replace("{" + name + "}", str(path_params[name]))
    headers = {
        name: resolved
        for name, value in (schema.get("request_headers") or {}).items()
        if (resolved := _header(emu, value, variables)) is not None
    }
    query = remaining if method in ("GET", "DELETE") else {}
    body = None if method in ("GET", "DELETE") else remaining
    details = {
        "type": "webhook",
        "method": method,
        "url": url,
        "headers": dict.fromkeys(headers, "****"),  # never echo secrets into history
        "path_params": path_params,
        "query_params": query,
        "body": json.dumps(body) if body is not None else None,
    }
    timeout = float(tool.get("response_timeout_secs") or 20)
    try:
        async with emu.http_client() as client:
            answer = await client.request(
                method, url, params=query or None, json=body, headers=headers, timeout=timeout
            )
    except httpx.HTTPError as exc:
        return f"Tool call failed: {type(exc).__name__}", True, details
    return answer.text, not answer.is_success, details
