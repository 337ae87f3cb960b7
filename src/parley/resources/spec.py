"""The provider-neutral specs of the resources agents use: tools and knowledge documents.

A YAML document with `kind: tool` or `kind: knowledge` is a resource; anything else is an agent.
Like agents, unknown fields are errors and defaults are Parley's own. Agents name resources in
`tools` / `knowledge`; the resources are planned and applied before the agents that use them,
so compiled agents carry the providers' ids for them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from parley.agents.spec import Identifier, ProviderExtras, ResourceName

ResourceKind = Literal["tool", "knowledge"]
RESOURCE_KINDS: tuple[ResourceKind, ...] = ("tool", "knowledge")
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
ParamType = Literal["string", "number", "integer", "boolean", "object", "array"]
# Parameters sit in the body unless said otherwise; GET and DELETE carry no body, so theirs
# default to the query string (see `Parameter.placed`).
BODYLESS = ("GET", "DELETE")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameter(_Strict):
    """One argument the LLM fills in when it calls the tool."""

    type: ParamType = "string"
    description: str = Field(min_length=1, description="What the LLM should put here.")
    required: bool = False
    location: Literal["body", "query", "path"] | None = Field(
        default=None,
        description="Webhook tools only: body (default; query for GET/DELETE), query or path.",
    )

    def placed(self, method: str) -> str:
        if self.location is not None:
            return self.location
        return "query" if method in BODYLESS else "body"


class Webhook(_Strict):
    """The HTTP request a webhook (server) tool makes; the provider calls it, not the client."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = Field(
        description="May hold {placeholders} for path parameters."
    )
    method: HttpMethod = "POST"
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Values may use {{variable}} templates; secret variables belong only here.",
    )
    timeout_s: float = Field(default=10.0, gt=0, le=300)


class ToolSpec(_Strict):
    """A tool agents may call: a webhook the provider calls, or a client tool the app runs."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="Parley tool spec",
        json_schema_extra={"$id": "https://parley.dev/schemas/tool-spec.json"},
    )

    kind: Literal["tool"]
    name: ResourceName
    description: str = Field(min_length=1, description="Tells the LLM when to call the tool.")
    type: Literal["webhook", "client"] = "webhook"
    webhook: Webhook | None = None
    parameters: dict[Identifier, Parameter] = Field(default_factory=dict)
    expects_response: bool = Field(
        default=False, description="Client tools: wait for the app's answer before speaking."
    )
    providers: ProviderExtras = Field(default_factory=ProviderExtras)

    @model_validator(mode="after")
    def _consistent(self) -> ToolSpec:
        if self.type == "webhook":
            if self.webhook is None:
                raise ValueError("a webhook tool needs `webhook` (url, method, ...)")
            _check_path_parameters(self.webhook, self.parameters)
        else:
            if self.webhook is not None:
                raise ValueError("a client tool runs in the app: remove `webhook`")
            placed = [n for n, p in self.parameters.items() if p.location not in (None, "body")]
            if placed:
                raise ValueError(f"client tools take body parameters only: {', '.join(placed)}")
        if self.type == "webhook" and self.expects_response:
            raise ValueError("expects_response is for client tools only")
        return self


def _check_path_parameters(webhook: Webhook, parameters: dict[str, Parameter]) -> None:
    in_url = set(PLACEHOLDER.findall(webhook.url))
    declared = {n for n, p in parameters.items() if p.placed(webhook.method) == "path"}
    if in_url - declared:
        missing = ", ".join(sorted(in_url - declared))
        raise ValueError(f"the url uses {{{missing}}} but no parameter has location: path")
    if declared - in_url:
        extra = ", ".join(sorted(declared - in_url))
        raise ValueError(f"path parameter(s) {extra} do not appear in the url as {{name}}")
    plain = ("string", "number", "integer", "boolean")
    loose = [n for n, p in parameters.items() if p.placed(webhook.method) != "body"]
    nested = [n for n in loose if parameters[n].type not in plain]
    if nested:
        raise ValueError(f"query and path parameters are plain values: {', '.join(nested)}")
    body = [n for n, p in parameters.items() if p.location == "body"]
    if webhook.method in BODYLESS and body:
        raise ValueError(f"{webhook.method} requests have no body: {', '.join(body)}")


class Source(_Strict):
    """Where a document's content comes from: exactly one of text, url or file."""

    text: str | None = Field(default=None, min_length=1)
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    file: str | None = Field(
        default=None, min_length=1, description="A path relative to the spec file."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Source:
        given = [k for k in ("text", "url", "file") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, url or file")
        return self

    @property
    def type(self) -> Literal["text", "url", "file"]:
        if self.text is not None:
            return "text"
        return "url" if self.url is not None else "file"


class KnowledgeSpec(_Strict):
    """A knowledge-base document agents answer from."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="Parley knowledge spec",
        json_schema_extra={"$id": "https://parley.dev/schemas/knowledge-spec.json"},
    )

    kind: Literal["knowledge"]
    name: ResourceName
    description: str = ""
    source: Source
    providers: ProviderExtras = Field(default_factory=ProviderExtras)


ResourceSpec = ToolSpec | KnowledgeSpec
MODELS: dict[str, type[ToolSpec] | type[KnowledgeSpec]] = {
    "tool": ToolSpec,
    "knowledge": KnowledgeSpec,
}
HEADER_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def header_variables(spec: ToolSpec) -> set[str]:
    """The `{{variables}}` a tool's headers use (each must be a secret variable of its agents)."""
    if spec.webhook is None:
        return set()
    return {m for value in spec.webhook.headers.values() for m in HEADER_TEMPLATE.findall(value)}


def json_schema() -> dict[str, Any]:
    """JSON Schema of a resource file (a tool or a knowledge document), for editors and CI."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://parley.dev/schemas/resource-spec.json",
        "title": "Parley resource spec",
        "oneOf": [],
        "$defs": {},
    }
    for model in (ToolSpec, KnowledgeSpec):
        part = model.model_json_schema(ref_template="#/$defs/{model}")
        schema["$defs"].update(part.pop("$defs", {}))
        schema["$defs"][model.__name__] = part
        schema["oneOf"].append({"$ref": f"#/$defs/{model.__name__}"})
    return schema
