"""Checks response bodies against the Ultravox OpenAPI description, with no extra dependency.

`src/parley/emulator/ultravox/openapi.yaml` is a copy of the provider's schema (mirror of
`api.ultravox.ai/api/schema/`, tryAGI/Ultravox commit a86787a, 2026-07-02).
`check(body, path, method, status)` finds the operation's response schema and validates the
subset of JSON Schema / OpenAPI 3.0 the file uses: `$ref`, `type` with `nullable`, `required`,
`properties`, `additionalProperties`, `items`, `enum`, `allOf`, `oneOf`, `pattern`,
`maxLength`, `minimum`/`maximum` and the `uuid`, `date-time` and `uri` formats. Read-only
fields are required in responses, as the spec says.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import cache
from typing import Any

import yaml

from parley.emulator.coverage import ULTRAVOX_SPEC

SPEC_PATH = ULTRAVOX_SPEC
# Where the generated spec cannot be right: a direct call (`POST /api/calls`) has no agent, yet
# `Call.agent` is required and not nullable; the service can only answer null there.
NULLABLE_GAPS = {("Call", "agent")}
TYPES: dict[str, Any] = {
    "object": dict, "array": list, "string": str, "boolean": bool,
    "integer": int, "number": (int, float),
}  # fmt: skip


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    for schema, field in NULLABLE_GAPS:
        loaded["components"]["schemas"][schema]["properties"][field]["nullable"] = True
    return loaded


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec()["components"]["schemas"][name]
    return schema


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    operation = spec()["paths"][path][method.lower()]
    content = operation["responses"][str(status)]["content"]
    return resolve(content["application/json"]["schema"])


def component(name: str) -> dict[str, Any]:
    return resolve({"$ref": f"#/components/schemas/{name}"})


def errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    schema = resolve(schema)
    found: list[str] = []
    if value is None:
        nullable = schema.get("nullable") or None in schema.get("enum", [])
        has_type = "type" in schema or "allOf" in schema or "properties" in schema
        if nullable or not has_type:
            return []
        if "oneOf" in schema:
            return (
                []
                if any(not errors(None, s, where) for s in schema["oneOf"])
                else [f"{where}: null not allowed"]
            )
        return [f"{where}: null not allowed"]
    for sub in schema.get("allOf", []):
        found += errors(value, sub, where)
    if "oneOf" in schema and not any(not errors(value, s, where) for s in schema["oneOf"]):
        found.append(f"{where}: matches none of oneOf")
    kind = schema.get("type")
    if kind is not None:
        wanted = TYPES[kind]
        if not isinstance(value, wanted) or (kind in ("integer", "number") and value is True):
            return [*found, f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        found += _string(value, schema, where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: above maximum")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += errors(item, schema["items"], f"{where}[{i}]")
    if isinstance(value, dict):
        found += _object(value, schema, where)
    return found


def _string(value: str, schema: dict[str, Any], where: str) -> list[str]:
    found = []
    if "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(f"{where}: longer than {schema['maxLength']}")
    fmt = schema.get("format")
    try:
        if fmt == "uuid":
            uuid.UUID(value)
        elif fmt == "date-time":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif fmt == "uri" and not re.match(r"^[a-z][a-z0-9+.-]*://", value):
            raise ValueError(value)
    except ValueError:
        found.append(f"{where}: {value!r} is not a valid {fmt}")
    return found


def _object(value: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    found = [f"{where}: missing {k!r}" for k in schema.get("required", []) if k not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            found += errors(item, properties[key], f"{where}.{key}")
        elif isinstance(extra, dict):
            found += errors(item, extra, f"{where}.{key}")
        elif properties and extra is not True and "type" in schema:
            # drf-spectacular schemas list every field; an unknown one is a fidelity bug.
            found.append(f"{where}: unexpected property {key!r}")
    return found


def check(body: Any, path: str, method: str, status: int) -> None:
    problems = errors(body, response_schema(path, method, status))
    assert not problems, "\n".join(problems)


def check_component(body: Any, name: str) -> None:
    problems = errors(body, component(name))
    assert not problems, "\n".join(problems)
