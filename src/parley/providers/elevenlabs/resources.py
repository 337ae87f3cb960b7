"""Tools and knowledge documents as ElevenLabs workspace tools and knowledge-base documents.

Pure functions, like `compile.py`: a neutral resource spec in, the request body out, with a
loss report. Webhook tools become `tool_config` with an `api_schema`; header templates name
secret variables, which ElevenLabs keeps from the LLM under the `secret__` prefix. Documents
are created from text, URL or file; a RAG index is computed for each (see the adapter).
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import PurePosixPath
from typing import Any

from parley.providers.base import CompiledResource, deep_merge
from parley.providers.elevenlabs.compile import rename_secrets

TARGET = "elevenlabs"
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 5, 300
HEADER_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# The embedding model ElevenLabs uses unless an agent's RAG settings pick another.
RAG_MODEL = "e5_mistral_7b_instruct"


def compile_resource(kind: str, spec: dict[str, Any], content: bytes | None) -> CompiledResource:
    if kind == "tool":
        return compile_tool(spec)
    return compile_knowledge(spec, content)


def compile_tool(spec: dict[str, Any]) -> CompiledResource:
    out = CompiledResource("tool", spec["name"], TARGET, {})
    if not TOOL_NAME.match(spec["name"]):
        out.errors.append("ElevenLabs tool names are letters, digits, _ and - (at most 64)")
    config: dict[str, Any] = {
        "type": spec["type"],
        "name": spec["name"],
        "description": spec["description"],
    }
    params: dict[str, dict[str, Any]] = spec.get("parameters", {})
    if spec["type"] == "client":
        config["parameters"] = _object(params)
        config["expects_response"] = spec["expects_response"]
    else:
        config.update(_webhook(spec["webhook"], params, out))
    extras = spec.get("providers", {}).get(TARGET, {})
    out.payload = {"tool_config": deep_merge(config, extras) if extras else config}
    return out


def _webhook(
    hook: dict[str, Any], params: dict[str, dict[str, Any]], out: CompiledResource
) -> dict[str, Any]:
    method = hook["method"]
    where = {name: _placed(p, method) for name, p in params.items()}
    headers = hook.get("headers", {})
    # Headers are where secrets travel: every template in them is a secret variable.
    secrets = {m for value in headers.values() for m in HEADER_TEMPLATE.findall(value)}
    schema: dict[str, Any] = {
        "url": hook["url"],
        "method": method,
        "request_headers": {k: rename_secrets(v, secrets) for k, v in headers.items()},
    }
    path = {n: _leaf(p, n) for n, p in params.items() if where[n] == "path"}
    if path:
        schema["path_params_schema"] = path
    query = {n: p for n, p in params.items() if where[n] == "query"}
    if query:
        schema["query_params_schema"] = {
            "properties": {n: _leaf(p, n) for n, p in query.items()},
            "required": [n for n, p in query.items() if p["required"]],
        }
    body = {n: p for n, p in params.items() if where[n] == "body"}
    if body:
        schema["request_body_schema"] = _object(body)
    timeout = hook["timeout_s"]
    seconds = min(MAX_TIMEOUT_S, max(MIN_TIMEOUT_S, math.ceil(timeout)))
    if seconds != timeout:
        out.lose(
            "webhook.timeout_s",
            f"ElevenLabs takes whole seconds, {MIN_TIMEOUT_S} to {MAX_TIMEOUT_S}; {seconds} used",
        )
    return {"response_timeout_secs": seconds, "api_schema": schema}


def _placed(param: dict[str, Any], method: str) -> str:
    location = param.get("location")
    if location is not None:
        return str(location)
    return "query" if method in ("GET", "DELETE") else "body"


def _leaf(param: dict[str, Any], name: str) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": param["type"], "description": param["description"]}
    if param["type"] == "array":
        # The neutral spec does not type list items; text is what an LLM produces anyway.
        prop["items"] = {"type": "string", "description": f"One item of {name}."}
    elif param["type"] == "object":
        prop["properties"] = {}
    return prop


def _object(params: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {n: _leaf(p, n) for n, p in params.items()},
        "required": [n for n, p in params.items() if p["required"]],
    }


def compile_knowledge(spec: dict[str, Any], content: bytes | None) -> CompiledResource:
    """`{type, name, text|url|filename+sha256}`; file bytes go in `content`, not the payload."""
    source = spec["source"]
    out = CompiledResource("knowledge", spec["name"], TARGET, {"name": spec["name"]})
    if source.get("text") is not None:
        out.payload = {"type": "text", "name": spec["name"], "text": source["text"]}
        out.write_only = ("text",)  # ElevenLabs answers with its own rendering of the text
    elif source.get("url") is not None:
        out.payload = {"type": "url", "name": spec["name"], "url": source["url"]}
    else:
        data = content or b""
        out.payload = {
            "type": "file",
            "name": spec["name"],
            "filename": PurePosixPath(source["file"]).name,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        out.content = data
        out.write_only = ("sha256",)
    out.payload["rag_model"] = RAG_MODEL
    out.write_only = (*out.write_only, "rag_model")
    extras = spec.get("providers", {}).get(TARGET, {})
    if extras:
        out.payload = deep_merge(out.payload, extras)
        out.write_only = (*out.write_only, *extras)
    return out
