"""The provider-neutral agent spec: what a YAML file in `agents/` may say, and nothing else.

Unknown fields are errors (a typo must never be silently dropped). Defaults are Parley's own and
are written into every stored version, so a version keeps its meaning when a provider changes its
defaults. `parley agents schema` exports this model as JSON Schema for editors.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Provider = Literal["elevenlabs", "ultravox"]
PROVIDERS: tuple[Provider, ...] = ("elevenlabs", "ultravox")

AgentName = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", min_length=1, max_length=64)
]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
ResourceName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", min_length=1, max_length=128)
]
Scalar = str | int | float | bool

RESERVED_VARIABLE_PREFIXES = ("system__", "secret__")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LLM(_Strict):
    """The language model that drives the conversation."""

    model: str = Field(min_length=1, description="Model name, e.g. gpt-4o-mini or ultravox-v0.7.")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int | None = Field(
        default=None, ge=1, description="Upper bound on tokens per reply; none = provider limit."
    )


class Voice(_Strict):
    """Text-to-speech voice and its settings (ElevenLabs voice settings, shared by Ultravox)."""

    id: str = Field(min_length=1, description="Voice id in the provider's catalogue.")
    stability: float = Field(default=0.5, ge=0.0, le=1.0)
    similarity_boost: float = Field(default=0.8, ge=0.0, le=1.0)
    style: float = Field(default=0.0, ge=0.0, le=1.0)
    speed: float = Field(default=1.0, ge=0.7, le=1.2)
    speaker_boost: bool = False


class Variable(_Strict):
    """A dynamic variable filled in per conversation and used as `{{name}}` in texts."""

    description: str = ""
    default: Scalar | None = None
    required: bool = False
    secret: bool = Field(
        default=False,
        description="Secret values go to tool headers only: never to the LLM, transcripts or logs.",
    )


class DataField(_Strict):
    """A value extracted from each conversation after it ends."""

    type: Literal["boolean", "string", "integer", "number"]
    description: str = Field(min_length=1)


class Criterion(_Strict):
    """An evaluation criterion judged after each conversation (success / failure / unknown)."""

    goal: str = Field(min_length=1, description="What a successful conversation achieved.")
    name: str = ""


class ProviderExtras(_Strict):
    """Per-provider settings passed through verbatim when compiling for that provider."""

    elevenlabs: dict[str, Any] = Field(default_factory=dict)
    ultravox: dict[str, Any] = Field(default_factory=dict)


class AgentSpec(_Strict):
    """One voice agent, independent of the provider that runs it."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="Parley agent spec",
        json_schema_extra={"$id": "https://parley.dev/schemas/agent-spec.json"},
    )

    name: AgentName = Field(description="Unique, stable name: lowercase letters, digits, - and _.")
    description: str = ""
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list
    )
    metadata: dict[str, Scalar] = Field(
        default_factory=dict, description="Free key/value labels (owner, team, ...); filterable."
    )
    targets: list[Provider] = Field(
        default_factory=lambda: list(PROVIDERS),
        min_length=1,
        description="Providers this agent runs on.",
    )
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    system_prompt: str = Field(min_length=1)
    first_message: str = Field(
        default="", description="What the agent says first; empty lets the user speak first."
    )
    llm: LLM
    voice: Voice | None = None
    variables: dict[Identifier, Variable] = Field(default_factory=dict)
    tools: list[ResourceName] = Field(default_factory=list)
    knowledge: list[ResourceName] = Field(default_factory=list)
    data_collection: dict[Identifier, DataField] = Field(default_factory=dict)
    evaluation: dict[Identifier, Criterion] = Field(default_factory=dict)
    providers: ProviderExtras = Field(default_factory=ProviderExtras)
    loss_policy: Literal["warn", "fail"] = Field(
        default="warn",
        description="When a field cannot carry over to a target: warn and apply, or refuse.",
    )

    @field_validator("tags", "targets", "tools", "knowledge")
    @classmethod
    def _no_duplicates(cls, values: list[str]) -> list[str]:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise ValueError(f"{value!r} is listed twice")
            seen.add(value)
        return values

    @field_validator("targets")
    @classmethod
    def _canonical_target_order(cls, targets: list[Provider]) -> list[Provider]:
        # Order carries no meaning here, so it must not change the content hash.
        return sorted(targets, key=PROVIDERS.index)

    @field_validator("variables")
    @classmethod
    def _no_reserved_names(cls, variables: dict[str, Variable]) -> dict[str, Variable]:
        for name in variables:
            if name.startswith(RESERVED_VARIABLE_PREFIXES):
                raise ValueError(
                    f"variable {name!r} uses a reserved prefix (system__, secret__); "
                    "declare secrecy with `secret: true`"
                )
        return variables


TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of an agent spec file, for editors and CI."""
    schema = AgentSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
