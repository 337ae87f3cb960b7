"""Ultravox agents, with the versioning Ultravox does not have.

Ultravox keeps one live call template per agent and no history, so Parley gives every applied
version its own Ultravox agent, named `<name>-v<N>`: a call started on a version runs exactly
that configuration, experiments can send traffic to two versions at once, and rollback points
calls at an earlier agent again. Calls carry `metadata` naming the Parley agent and version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from parley.providers.base import (
    Capabilities,
    Compiled,
    PhoneLine,
    References,
    RemoteAgent,
    Started,
    StartRequest,
    StartTarget,
    Voice,
)
from parley.providers.errors import ProviderRejected
from parley.providers.ultravox import compile as compiler
from parley.providers.ultravox import starts, voices
from parley.providers.ultravox.client import UltravoxClient
from parley.providers.ultravox.resource_adapter import UltravoxResources


class UltravoxAdapter:
    name = "ultravox"
    capabilities = Capabilities(
        versioning=False,
        traffic_split=False,
        post_call_analysis=False,
        agent_tests=False,
        batch_calling=True,
        secret_variables=False,
    )

    def __init__(self, *, api_key: str, base_url: str, http: httpx.AsyncClient) -> None:
        self.http = http
        self.client = UltravoxClient(api_key=api_key, base_url=base_url, http=http)
        self.resources = UltravoxResources(self.client)

    def compile(
        self, spec: dict[str, Any], refs: References | None = None, *, version: int | None = None
    ) -> Compiled:
        return compiler.compile_agent(spec, refs, version=version)

    async def create_agent(self, compiled: Compiled, *, version: int, label: str) -> RemoteAgent:
        return _remote(await self.client.create_agent(compiled.payload))

    async def update_agent(self, remote_id: str, compiled: Compiled, *, label: str) -> RemoteAgent:
        """Only to repair drift: a version's agent otherwise never changes after creation."""
        return _remote(await self.client.update_agent(remote_id, compiled.payload))

    async def get_agent(self, remote_id: str, *, version_id: str | None = None) -> RemoteAgent:
        return _remote(await self.client.get_agent(remote_id))

    async def list_agents(self, *, search: str | None = None) -> AsyncIterator[RemoteAgent]:
        async for item in self.client.agents(search):
            yield _remote(item)

    async def delete_agent(self, remote_id: str) -> None:
        await self.client.delete_agent(remote_id)

    def list_voices(self) -> AsyncIterator[Voice]:
        return voices.list_voices(self.client)

    async def get_voice(self, voice_id: str) -> Voice:
        return await voices.get_voice(self.client, voice_id)

    # Typed loosely so this file needs no new imports; the protocol in base.py has the types.
    def list_conversations(self, *, since: Any = None) -> AsyncIterator[Any]:
        """Calls created at or after `since` (a datetime), as `ConversationRef`s."""
        from parley.providers.ultravox import conversation_adapter

        return conversation_adapter.list_conversations(self.client, since=since)

    async def get_conversation(self, remote_id: str) -> Any:
        """One call with its messages, as a normalised `ConversationRecord`."""
        from parley.providers.ultravox import conversation_adapter

        return await conversation_adapter.get_conversation(self.client, remote_id)

    def open_audio(self, remote_id: str) -> Any:
        """The call's recording: an async context manager giving a `Recording`."""
        from parley.providers.ultravox import conversation_adapter

        return conversation_adapter.open_audio(self.client, remote_id)

    async def start_web(self, request: StartRequest) -> Started:
        return await starts.start_web(self, request)

    async def start_phone(self, request: StartRequest, phone: PhoneLine) -> Started:
        return await starts.start_phone(self, request, phone)

    def initiation_answer(self, request: StartRequest) -> dict[str, Any]:
        raise ProviderRejected("ultravox", "Ultravox has no inbound initiation webhook")

    async def serve_version(
        self, target: StartTarget, *, name: str, description: str
    ) -> StartTarget:
        """Each Parley version is an Ultravox agent of its own: it serves only that version."""
        return target

    async def retire(self, serving: StartTarget) -> None:
        """Nothing was made for serving, so nothing is taken down."""


def _remote(agent: dict[str, Any]) -> RemoteAgent:
    template = dict(agent.get("callTemplate") or {})
    for bookkeeping in ("created", "updated"):
        template.pop(bookkeeping, None)
    return RemoteAgent(
        "ultravox",
        agent["agentId"],
        agent["name"],
        {"name": agent["name"], "callTemplate": template},
        version_id=agent.get("publishedRevisionId"),
    )


def call_metadata(agent: str, version: int, **extra: str) -> dict[str, str]:
    """The `metadata` Parley stamps on every Ultravox call it starts.

    Ultravox keeps no agent versions, and `metadata` is the one call field its call list can
    filter on, so these keys are how every call is attributed to a Parley agent and version
    (and later to an experiment arm). Values must be strings.
    """
    return {"parley_agent": agent, "parley_version": str(version), **extra}
