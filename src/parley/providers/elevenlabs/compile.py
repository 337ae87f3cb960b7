"""A Parley version as an ElevenLabs agent: `conversation_config`, `platform_settings`, tags.

Every value Parley knows is written explicitly (model, temperature, TTS model, voice settings),
so an agent keeps its meaning when ElevenLabs changes a default. Secret variables become
`secret__<name>`, the prefix ElevenLabs keeps away from the LLM. `providers.elevenlabs` extras
are laid over the result verbatim, last, so they can set anything the neutral spec cannot.
"""

from __future__ import annotations

import re
from typing import Any

from parley.providers.base import Compiled, References, deep_merge

TARGET = "elevenlabs"
TTS_MODEL = "eleven_flash_v2_5"  # multilingual and low-latency; pinned, not left to defaults
UNLIMITED_TOKENS = -1


def secret_name(name: str) -> str:
    return f"secret__{name}"


def rename_secrets(text: str, secrets: set[str]) -> str:
    """`{{token}}` -> `{{secret__token}}` for secret variables (used in tool headers)."""
    if not secrets:
        return text
    pattern = re.compile(r"\{\{\s*(" + "|".join(map(re.escape, sorted(secrets))) + r")\s*\}\}")
    return pattern.sub(lambda m: "{{" + secret_name(m.group(1)) + "}}", text)


def compile_agent(spec: dict[str, Any], refs: References | None = None) -> Compiled:
    """`spec` is a stored (normalised) version; `refs` maps tool/knowledge names to ids."""
    refs = refs or References()
    out = Compiled(TARGET, {})
    voice = spec.get("voice")
    llm = spec["llm"]
    variables: dict[str, dict[str, Any]] = spec.get("variables", {})

    prompt: dict[str, Any] = {
        "prompt": spec["system_prompt"],
        "llm": llm["model"],
        "temperature": llm["temperature"],
        "max_tokens": llm["max_tokens"] if llm["max_tokens"] is not None else UNLIMITED_TOKENS,
        "tool_ids": _tool_ids(spec.get("tools", []), refs, out),
        "knowledge_base": _knowledge(spec.get("knowledge", []), refs, out),
    }
    placeholders = {
        name: var["default"]
        for name, var in variables.items()
        if not var["secret"] and var["default"] is not None
    }
    agent: dict[str, Any] = {
        "first_message": spec["first_message"],
        "language": spec["language"],
        "prompt": prompt,
        "dynamic_variables": {"dynamic_variable_placeholders": placeholders},
    }
    conversation_config: dict[str, Any] = {"agent": agent}
    if voice is not None:
        conversation_config["tts"] = {
            "model_id": TTS_MODEL,
            "voice_id": voice["id"],
            "stability": voice["stability"],
            "similarity_boost": voice["similarity_boost"],
            "speed": voice["speed"],
        }
        if voice["style"]:
            out.lose("voice.style", "ElevenLabs agents have no style setting for speech")
        if voice["speaker_boost"]:
            out.lose("voice.speaker_boost", "ElevenLabs agents have no speaker boost setting")
    else:
        out.lose("voice", "no voice given: ElevenLabs would pick its default voice")

    platform_settings: dict[str, Any] = {
        "evaluation": {
            "criteria": [
                {
                    "id": cid,
                    "name": criterion["name"] or cid,
                    "type": "prompt",
                    "conversation_goal_prompt": criterion["goal"],
                }
                for cid, criterion in spec.get("evaluation", {}).items()
            ]
        },
        "data_collection": {
            name: {"type": field["type"], "description": field["description"]}
            for name, field in spec.get("data_collection", {}).items()
        },
    }
    payload: dict[str, Any] = {
        "name": spec["name"],
        "tags": list(spec.get("tags", [])),
        "conversation_config": conversation_config,
        "platform_settings": platform_settings,
    }
    extras = spec.get("providers", {}).get(TARGET, {})
    out.payload = deep_merge(payload, extras) if extras else payload
    return out


def _tool_ids(names: list[str], refs: References, out: Compiled) -> list[str]:
    ids = []
    for name in names:
        if name in refs.tools:
            ids.append(refs.tools[name])
        else:
            out.unresolved.append(f"tool {name}")
    return ids


def _knowledge(names: list[str], refs: References, out: Compiled) -> list[dict[str, str]]:
    docs = []
    for name in names:
        doc = refs.knowledge.get(name)
        if doc is None:
            out.unresolved.append(f"knowledge {name}")
            continue
        docs.append({"type": doc.get("type", "text"), "name": name, "id": doc["id"]})
    return docs
