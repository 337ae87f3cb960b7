"""Ultravox's built-in tools as durable `public` tools: fixed ids and short definitions.

They are listed by `GET /api/tools` (ownership `public`), can be fetched by id, and are selected
by `toolName` or `toolId`. The emulator runs `hangUp` and `queryCorpus` itself; the telephony
ones (`coldTransfer`, `leaveVoicemail`, ...) are answered with a tool error, since the emulator
has no phone line. `queryCorpus` requires `parameterOverrides.corpus_id`, as documented.
"""

from __future__ import annotations

from typing import Any

from parley.emulator.ultravox.state import ToolRecord

BODY = "PARAMETER_LOCATION_BODY"
# Built-ins exist before any account does; a fixed creation time keeps views stable.
EPOCH = 1_704_067_200.0  # 2024-01-01T00:00:00Z


def _param(name: str, kind: str, description: str, required: bool = True) -> dict[str, Any]:
    schema = {"type": kind, "description": description}
    return {"name": name, "location": BODY, "schema": schema, "required": required}


def _tool(n: int, name: str, description: str, *params: dict[str, Any], **extra: Any) -> ToolRecord:
    definition = {
        "modelToolName": name,
        "description": description,
        "dynamicParameters": list(params),
        "http": {"baseUrlPattern": f"https://api.ultravox.ai/builtin/{name}", "httpMethod": "POST"},
        **extra,
    }
    tool_id = f"00000000-0000-4000-8000-0000000000{n:02d}"
    return ToolRecord(tool_id=tool_id, name=name, created=EPOCH, definition=definition)


BUILT_IN: dict[str, ToolRecord] = {
    t.name: t
    for t in (
        _tool(1, "queryCorpus", "Searches a knowledge base for relevant information.",
              _param("corpus_id", "string", "The corpus to search."),
              _param("query", "string", "What to look for."),
              _param("max_results", "integer", "How many results, 1 to 20.", required=False),
              requirements={"requiredParameterOverrides": ["corpus_id"]}),
        _tool(2, "hangUp", "Ends the call.",
              _param("reason", "string", "Why the call is ending.", required=False)),
        _tool(3, "leaveVoicemail", "Leaves a voicemail message and ends the call.",
              _param("message", "string", "The message to leave.")),
        _tool(4, "playDtmfSounds", "Plays DTMF tones.",
              _param("digits", "string", "The digits to play.")),
        _tool(5, "coldTransfer", "Transfers the call to a human.",
              _param("target", "string", "A SIP URI or E.164 number.")),
        _tool(6, "warmTransfer", "Transfers the call after briefing a human.",
              _param("target", "string", "A SIP URI or E.164 number.")),
    )
}  # fmt: skip
BY_ID = {t.tool_id: t for t in BUILT_IN.values()}
