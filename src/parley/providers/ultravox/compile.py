"""A Parley version as an Ultravox agent's `callTemplate`.

Ultravox runs its own models, so a spec's LLM carries over only when it names one; otherwise
`providers.ultravox.model` chooses, or Parley pins its default and reports the loss. ElevenLabs
voices are used through `externalVoice.elevenLabs`, so both providers can speak with the same
voice. Variables become a `contextSchema`; secret ones are left out of it (Ultravox has no way
to keep a template value from the model) and reach tools only, at call time.
"""

from __future__ import annotations

import re
from typing import Any

from parley.providers.base import Compiled, References, deep_merge

TARGET = "ultravox"
DEFAULT_MODEL = "ultravox-v0.7"  # pinned: Ultravox moved its default model once already
ULTRAVOX_MODELS = ("ultravox-",)
MAX_NAME = 64
MAX_TEMPERATURE = 1.0
JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def version_agent_name(name: str, version: int) -> str:
    """`support-v12`: each applied version is its own Ultravox agent (see the adapter)."""
    suffix = f"-v{version}"
    return name[: MAX_NAME - len(suffix)] + suffix


def compile_agent(
    spec: dict[str, Any], refs: References | None = None, *, version: int | None = None
) -> Compiled:
    refs = refs or References()
    out = Compiled(TARGET, {})
    extras: dict[str, Any] = spec.get("providers", {}).get(TARGET, {})
    llm = spec["llm"]

    model = llm["model"]
    if not model.startswith(ULTRAVOX_MODELS):
        model = DEFAULT_MODEL
        if "model" not in extras:
            out.lose("llm.model", f"{llm['model']} does not run on Ultravox; {model} is used")
    temperature = llm["temperature"]
    if temperature > MAX_TEMPERATURE:
        out.lose("llm.temperature", f"Ultravox allows at most {MAX_TEMPERATURE}; capped")
        temperature = MAX_TEMPERATURE
    if llm["max_tokens"] is not None:
        out.lose("llm.max_tokens", "Ultravox has no reply length limit")

    template: dict[str, Any] = {
        "systemPrompt": spec["system_prompt"],
        "model": model,
        "temperature": temperature,
        "languageHint": spec["language"],
        "firstSpeakerSettings": _first_speaker(spec["first_message"]),
        "contextSchema": _context_schema(spec.get("variables", {})),
        "selectedTools": _tools(spec.get("tools", []), spec.get("knowledge", []), refs, out),
    }
    voice = spec.get("voice")
    if voice is not None and "voice" not in extras:
        template["externalVoice"] = {
            "elevenLabs": {
                "voiceId": voice["id"],
                "stability": voice["stability"],
                "similarityBoost": voice["similarity_boost"],
                "style": voice["style"],
                "speed": voice["speed"],
                "useSpeakerBoost": voice["speaker_boost"],
            }
        }
    for name in spec.get("data_collection", {}):
        out.lose(f"data_collection.{name}", "Ultravox has no post-call data collection")
    for cid in spec.get("evaluation", {}):
        out.lose(f"evaluation.{cid}", "Ultravox has no post-call evaluation")
    name = version_agent_name(spec["name"], version) if version is not None else spec["name"]
    if version is not None and not name.startswith(spec["name"]):
        out.lose("name", f"Ultravox names are at most {MAX_NAME} characters; {name!r} is used")
    payload: dict[str, Any] = {"name": name, "callTemplate": template}
    call_extras = {k: v for k, v in extras.items() if k != "name"}
    if call_extras:
        payload["callTemplate"] = deep_merge(template, call_extras)
    out.payload = payload
    return out


def _first_speaker(first_message: str) -> dict[str, Any]:
    if not first_message:
        return {"user": {}}
    return {"agent": {"text": first_message}}


def _context_schema(variables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for name, var in variables.items():
        if var["secret"]:
            continue
        prop: dict[str, Any] = {"type": JSON_TYPES.get(type(var["default"]), "string")}
        if var["description"]:
            prop["description"] = var["description"]
        if var["default"] is not None:
            prop["default"] = var["default"]
        properties[name] = prop
        if var["required"]:
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _tools(
    tools: list[str], knowledge: list[str], refs: References, out: Compiled
) -> list[dict[str, Any]]:
    selected: list[dict[str, Any]] = []
    for name in tools:
        if name in refs.tools:
            selected.append({"toolId": refs.tools[name]})
        else:
            out.unresolved.append(f"tool {name}")
    for name in knowledge:
        doc = refs.knowledge.get(name)
        if doc is None:
            out.unresolved.append(f"knowledge {name}")
            continue
        search: dict[str, Any] = {
            "toolName": "queryCorpus",
            "parameterOverrides": {"corpus_id": doc["id"]},
        }
        if len(knowledge) > 1:
            # Tool names the model sees must be unique in a call: one search tool per document.
            search["nameOverride"] = search_tool_name(name)
            search["descriptionOverride"] = f"Searches the knowledge base document {name}."
        selected.append(search)
    return selected


def search_tool_name(document: str) -> str:
    """`search_etf-fee-schedule`: the queryCorpus tool for one document, as the model sees it."""
    return ("search_" + re.sub(r"[^a-zA-Z0-9_-]", "_", document))[:64]
