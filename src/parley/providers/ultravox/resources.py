"""Tools and knowledge documents as Ultravox durable tools and corpora.

Pure functions, like `compile.py`. A webhook tool becomes an `http` durable tool whose
parameters sit where their location says; a client tool becomes `client: {}`. Header templates
are secrets: Ultravox takes them per call as `authTokens` against the tool's
`httpSecurityOptions` (a whole header, or `Authorization: <scheme> <token>`); literal headers
are static header parameters. A document becomes a corpus with one source (a crawl of its
URL, or an uploaded file), which agents search through the built-in `queryCorpus` tool.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import PurePosixPath
from typing import Any

from parley.providers.base import CompiledResource, deep_merge

TARGET = "ultravox"
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,40}$")
MAX_TIMEOUT_S = 40.0
LOCATIONS = {
    "body": "PARAMETER_LOCATION_BODY",
    "query": "PARAMETER_LOCATION_QUERY",
    "path": "PARAMETER_LOCATION_PATH",
}
HEADER = "PARAMETER_LOCATION_HEADER"
WHOLE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
SCHEMED = re.compile(r"^(Bearer|Basic|Token)\s+\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")
TEMPLATE = re.compile(r"\{\{")


def compile_resource(kind: str, spec: dict[str, Any], content: bytes | None) -> CompiledResource:
    if kind == "tool":
        return compile_tool(spec)
    return compile_knowledge(spec, content)


def compile_tool(spec: dict[str, Any]) -> CompiledResource:
    out = CompiledResource("tool", spec["name"], TARGET, {})
    if not TOOL_NAME.match(spec["name"]):
        out.errors.append("Ultravox tool names are letters, digits, _ and - (at most 40)")
    hook = spec.get("webhook")
    method = hook["method"] if hook else "POST"
    definition: dict[str, Any] = {
        "modelToolName": spec["name"],
        "description": spec["description"],
        "dynamicParameters": [
            _parameter(name, param, method) for name, param in spec.get("parameters", {}).items()
        ],
    }
    if hook is None:
        definition["client"] = {}
        if not spec["expects_response"]:
            out.lose("expects_response", "Ultravox always waits for a client tool's result")
    else:
        definition["http"] = {"baseUrlPattern": hook["url"], "httpMethod": method}
        timeout = min(hook["timeout_s"], MAX_TIMEOUT_S)
        if timeout != hook["timeout_s"]:
            out.lose("webhook.timeout_s", f"Ultravox waits at most {MAX_TIMEOUT_S:g}s; capped")
        definition["timeout"] = f"{timeout:g}s"
        _headers(hook.get("headers", {}), definition, out)
    extras = spec.get("providers", {}).get(TARGET, {})
    if extras:
        definition = deep_merge(definition, extras)
    out.payload = {"name": spec["name"], "definition": definition}
    return out


def _parameter(name: str, param: dict[str, Any], method: str) -> dict[str, Any]:
    location = param.get("location") or ("query" if method in ("GET", "DELETE") else "body")
    schema: dict[str, Any] = {"type": param["type"], "description": param["description"]}
    if param["type"] == "array":
        schema["items"] = {"type": "string"}  # the neutral spec does not type list items
    return {
        "name": name,
        "location": LOCATIONS[location],
        "schema": schema,
        "required": param["required"],
    }


def _headers(headers: dict[str, str], definition: dict[str, Any], out: CompiledResource) -> None:
    static: list[dict[str, Any]] = []
    needs: dict[str, Any] = {}
    for header, value in headers.items():
        whole, schemed = WHOLE.match(value), SCHEMED.match(value)
        if whole:
            needs[whole.group(1)] = {"headerApiKey": {"name": header}}
        elif schemed and header.lower() == "authorization":
            needs[schemed.group(2)] = {"httpAuth": {"scheme": schemed.group(1)}}
        elif TEMPLATE.search(value):
            out.lose(
                f"webhook.headers.{header}",
                "Ultravox sends a secret only as a whole header or as "
                "Authorization: <scheme> <token>; header left out",
            )
        else:
            static.append({"name": header, "location": HEADER, "value": value})
    if static:
        definition["staticParameters"] = static
    if needs:
        # The empty option keeps agents valid before a call supplies its tokens (authTokens).
        options = [{"requirements": needs}, {"requirements": {}}]
        definition["requirements"] = {"httpSecurityOptions": {"options": options}}


def compile_knowledge(spec: dict[str, Any], content: bytes | None) -> CompiledResource:
    """A corpus, its one source and (for text and files) the document uploaded into it."""
    source = spec["source"]
    name = spec["name"]
    out = CompiledResource("knowledge", name, TARGET, {})
    corpus = {"name": name, "description": spec.get("description", "")}
    payload: dict[str, Any] = {"corpus": corpus}
    if source.get("url") is not None:
        crawl = {"startUrls": [source["url"]], "maxDocuments": 1, "maxDepth": 1}
        payload["source"] = {"name": name, "crawl": crawl}
    else:
        if source.get("text") is not None:
            data, filename, mime = source["text"].encode("utf-8"), f"{name}.txt", "text/plain"
        else:
            data = content or b""
            filename = PurePosixPath(source["file"]).name
            mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        payload["source"] = {"name": name, "upload": {}}
        payload["document"] = {
            "fileName": filename,
            "mimeType": mime,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        out.content = data
    extras = spec.get("providers", {}).get(TARGET, {})
    out.payload = deep_merge(payload, extras) if extras else payload
    # Sources and uploads are written once; only the corpus itself is read back and compared.
    out.write_only = tuple(k for k in out.payload if k != "corpus")
    return out
