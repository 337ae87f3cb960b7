"""The provider protocol: what every provider adapter offers, and what it declares it can do.

Adapters speak their vendor's API inside their own package; the rest of Parley sees only these
types. A version is compiled for a target (`Compiled`, with a loss report of everything that
did not carry over), then applied and read back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from parley.conversations.schemas import ConversationRecord, ConversationRef

Severity = Literal["warn", "fail"]


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do natively; Parley emulates or skips the rest."""

    versioning: bool
    traffic_split: bool
    post_call_analysis: bool
    agent_tests: bool
    batch_calling: bool
    secret_variables: bool


@dataclass(frozen=True)
class Loss:
    """A spec field that does not carry over to a target, and why."""

    path: str
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.target}: {self.path}: {self.reason}"


@dataclass(frozen=True)
class References:
    """Provider ids for the tools and knowledge documents a spec names (resolved at plan time)."""

    tools: dict[str, str] = field(default_factory=dict)
    knowledge: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> {id, type}


@dataclass
class Compiled:
    """A version as one provider's agent payload, with what was lost on the way."""

    target: str
    payload: dict[str, Any]
    losses: list[Loss] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # referenced names with no provider id

    def lose(self, path: str, reason: str) -> None:
        self.losses.append(Loss(path, self.target, reason))


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` laid over `base`: nested mappings merge, anything else is replaced."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass
class RemoteAgent:
    """An agent as a provider holds it: its id, and the payload in the provider's own shape."""

    target: str
    remote_id: str
    name: str
    payload: dict[str, Any]
    version_id: str | None = None
    branch_id: str | None = None


@dataclass
class CompiledResource:
    """A tool or knowledge document in one provider's shape, with what was lost on the way.

    `payload` is what Parley stores and compares (never file bytes: those travel in `content`);
    keys in `write_only` are sent but cannot be read back, so drift checks skip them.
    """

    kind: str  # tool | knowledge
    name: str
    target: str
    payload: dict[str, Any]
    losses: list[Loss] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the provider cannot take it at all
    write_only: tuple[str, ...] = ()
    content: bytes | None = None

    def lose(self, path: str, reason: str) -> None:
        self.losses.append(Loss(path, self.target, reason))

    def visible(self) -> dict[str, Any]:
        return {k: v for k, v in self.payload.items() if k not in self.write_only}


@dataclass
class RemoteResource:
    """A tool or document as the provider holds it, in the shape of `CompiledResource.payload`."""

    kind: str
    target: str
    remote_id: str
    name: str
    payload: dict[str, Any]


class ResourceProvider(Protocol):
    """Tools and knowledge documents on one provider (the adapter's `resources`)."""

    def compile(
        self, kind: str, spec: dict[str, Any], content: bytes | None = None
    ) -> CompiledResource: ...

    async def create_tool(self, compiled: CompiledResource) -> RemoteResource: ...

    async def update_tool(self, remote_id: str, compiled: CompiledResource) -> RemoteResource: ...

    async def get_tool(self, remote_id: str) -> RemoteResource:
        """`ProviderNotFound` when it is gone."""

    async def delete_tool(self, remote_id: str, *, force: bool = False) -> None: ...

    def list_tools(self) -> AsyncIterator[RemoteResource]: ...

    async def create_knowledge(self, compiled: CompiledResource) -> RemoteResource: ...

    async def get_knowledge(self, remote_id: str) -> RemoteResource:
        """`ProviderNotFound` when it is gone."""

    async def delete_knowledge(self, remote_id: str, *, force: bool = False) -> None: ...

    def list_knowledge(self) -> AsyncIterator[RemoteResource]: ...


@dataclass(frozen=True)
class Voice:
    """A voice in a provider's catalogue, in Parley's words (no vendor field names)."""

    provider: str
    voice_id: str
    name: str
    # ElevenLabs: premade, cloned, generated, professional...; Ultravox: public or private.
    category: str
    labels: dict[str, str] = field(default_factory=dict)  # gender, accent, age, use_case...
    preview_url: str | None = None
    languages: list[str] = field(default_factory=list)  # language tags, best known first
    description: str | None = None


@dataclass(frozen=True)
class Recording:
    """A conversation's recording as the provider sends it: its media type and its bytes, read
    in chunks so a long call never has to sit in memory."""

    media_type: str
    chunks: AsyncIterator[bytes]


class AgentProvider(Protocol):
    """What the agents flow needs from a provider; one implementation per provider package."""

    @property
    def name(self) -> str: ...

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def resources(self) -> ResourceProvider:
        """Tools and knowledge documents on this provider."""

    def compile(
        self, spec: dict[str, Any], refs: References | None = None, *, version: int | None = None
    ) -> Compiled: ...

    async def create_agent(self, compiled: Compiled, *, version: int, label: str) -> RemoteAgent:
        """Create the provider agent; answers with what the provider then holds."""

    async def update_agent(self, remote_id: str, compiled: Compiled, *, label: str) -> RemoteAgent:
        """Write `compiled` over the agent (a new provider version where it versions)."""

    async def get_agent(self, remote_id: str, *, version_id: str | None = None) -> RemoteAgent:
        """The agent as the provider holds it now; `ProviderNotFound` when it is gone."""

    def list_agents(self, *, search: str | None = None) -> AsyncIterator[RemoteAgent]:
        """Every agent, as summaries."""

    async def delete_agent(self, remote_id: str) -> None: ...

    def list_voices(self) -> AsyncIterator[Voice]:
        """Every voice the account can use (the provider's premade ones and its own)."""

    async def get_voice(self, voice_id: str) -> Voice:
        """One voice; `ProviderNotFound` when the provider has no such voice."""

    def list_conversations(
        self, *, since: datetime | None = None
    ) -> AsyncIterator[ConversationRef]:
        """Conversations started at or after `since` (all when None), finished or not."""

    async def get_conversation(self, remote_id: str) -> ConversationRecord:
        """One conversation in full, normalised, secrets removed; `ProviderNotFound` if gone."""

    def open_audio(self, remote_id: str) -> AbstractAsyncContextManager[Recording]:
        """The conversation's recording, streamed while the context is open;
        `ProviderNotFound` on entering when the provider has none (or not yet)."""


# --- Starting conversations (the sessions flow) -------------------------------------------------


@dataclass(frozen=True)
class StartTarget:
    """Where a conversation starts: the provider agent (and pinned branch/version) of a route."""

    remote_agent_id: str
    remote_version_id: str | None = None
    remote_branch_id: str | None = None


@dataclass
class StartRequest:
    """Everything a provider needs to start one conversation, in Parley's words.

    `variables` are the non-secret dynamic variables; `secrets` the secret ones (a provider
    that can keep them from the LLM sends them marked, one that cannot leaves them out);
    `stamps` are Parley's attribution labels, sent where the provider keeps them with the call.
    """

    target: StartTarget
    variables: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)
    stamps: dict[str, str] = field(default_factory=dict)
    user_id: str | None = None


@dataclass(frozen=True)
class PhoneLine:
    """How an outbound call is placed: the provider's phone line or trunk, and the callee."""

    to_number: str
    line: str  # ElevenLabs: phone number id; Ultravox: the `from` number / SIP URI
    via: str | None = None  # twilio | sip_trunk | telnyx | plivo | sip (None: provider default)


@dataclass
class Started:
    """What a provider answered: its conversation id when known, and how to join."""

    remote_conversation_id: str | None = None
    join_url: str | None = None
    call_sid: str | None = None
    # ElevenLabs: the initiation message the browser sends first (holds secret values: the
    # response to the caller only, never stored).
    client_data: dict[str, Any] | None = None


class StartProvider(Protocol):
    """Starting conversations on one provider (the adapters implement it next to AgentProvider)."""

    async def start_web(self, request: StartRequest) -> Started:
        """A browser/WebSocket conversation the client joins with `join_url`."""

    async def start_phone(self, request: StartRequest, phone: PhoneLine) -> Started:
        """An outbound phone call."""

    def initiation_answer(self, request: StartRequest) -> dict[str, Any]:
        """The answer to an inbound call's initiation webhook (ElevenLabs only)."""

    async def serve_version(
        self, target: StartTarget, *, name: str, description: str
    ) -> StartTarget:
        """A target that serves exactly `target`'s version to every start naming it, for as long
        as an experiment needs it (the target itself where a version is an agent of its own)."""

    async def retire(self, serving: StartTarget) -> None:
        """Take down what `serve_version` made (archived, not deleted: history stays)."""
