"""ElevenLabs agents through the official SDK's async client, over our resilient httpx client.

The SDK builds requests and parses answers with its own types; the transport underneath
(`ResilientTransport`) owns retries, so the SDK's own retries are switched off per request.
Payloads are passed as plain dicts: the SDK sends dict keys through untouched, so extras under
`providers.elevenlabs` reach ElevenLabs even when the SDK's types do not know them yet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, TypeVar

import httpx
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.core.api_error import ApiError
from elevenlabs.core.request_options import RequestOptions

from parley.conversations.schemas import ConversationRecord, ConversationRef
from parley.providers.base import (
    Capabilities,
    Compiled,
    PhoneLine,
    Recording,
    References,
    RemoteAgent,
    Started,
    StartRequest,
    StartTarget,
    Voice,
)
from parley.providers.elevenlabs import compile as compiler
from parley.providers.elevenlabs import conversation_adapter, starts, voices
from parley.providers.elevenlabs.resource_adapter import ElevenLabsResources
from parley.providers.errors import ProviderError, ProviderUnavailable, from_response

T = TypeVar("T")
NO_SDK_RETRIES: RequestOptions = {"max_retries": 0}
PAGE_SIZE = 100


class ElevenLabsAdapter:
    name = "elevenlabs"
    capabilities = Capabilities(
        versioning=True,
        traffic_split=True,
        post_call_analysis=True,
        agent_tests=True,
        batch_calling=True,
        secret_variables=True,
    )

    def __init__(self, *, api_key: str, base_url: str, http: httpx.AsyncClient) -> None:
        self.http = http
        self.sdk = AsyncElevenLabs(api_key=api_key, base_url=base_url, httpx_client=http)
        self.resources = ElevenLabsResources(self)

    def compile(
        self, spec: dict[str, Any], refs: References | None = None, *, version: int | None = None
    ) -> Compiled:
        return compiler.compile_agent(spec, refs)

    async def _call(self, action: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except ApiError as exc:
            raise _error(exc, action) from None
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                self.name, f"ElevenLabs could not be reached to {action} ({type(exc).__name__})"
            ) from None

    async def create_agent(self, compiled: Compiled, *, version: int, label: str) -> RemoteAgent:
        body = compiled.payload
        created = await self._call(
            "create an agent",
            self.sdk.conversational_ai.agents.create(
                conversation_config=body["conversation_config"],
                platform_settings=body.get("platform_settings"),
                name=body["name"],
                tags=body.get("tags"),
                request_options=NO_SDK_RETRIES,
            ),
        )
        # A new agent's first version has no description: commit ours so history names it.
        return await self.update_agent(created.agent_id, compiled, label=label)

    async def update_agent(self, remote_id: str, compiled: Compiled, *, label: str) -> RemoteAgent:
        body = compiled.payload
        agent = await self._call(
            f"update agent {remote_id}",
            self.sdk.conversational_ai.agents.update(
                remote_id,
                conversation_config=body["conversation_config"],
                platform_settings=body.get("platform_settings"),
                name=body["name"],
                tags=body.get("tags"),
                version_description=label,
                request_options=NO_SDK_RETRIES,
            ),
        )
        return _remote(agent)

    async def get_agent(self, remote_id: str, *, version_id: str | None = None) -> RemoteAgent:
        agent = await self._call(
            f"read agent {remote_id}",
            self.sdk.conversational_ai.agents.get(
                remote_id, version_id=version_id, request_options=NO_SDK_RETRIES
            ),
        )
        return _remote(agent)

    async def get_agent_on_branch(self, remote_id: str, branch_id: str) -> RemoteAgent:
        agent = await self._call(
            f"read agent {remote_id} on branch {branch_id}",
            self.sdk.conversational_ai.agents.get(
                remote_id, branch_id=branch_id, request_options=NO_SDK_RETRIES
            ),
        )
        return _remote(agent)

    async def list_agents(self, *, search: str | None = None) -> AsyncIterator[RemoteAgent]:
        """Every agent (summaries: payload holds name and tags only)."""
        cursor: str | None = None
        while True:
            page = await self._call(
                "list agents",
                self.sdk.conversational_ai.agents.list(
                    page_size=PAGE_SIZE,
                    search=search,
                    cursor=cursor,
                    request_options=NO_SDK_RETRIES,
                ),
            )
            for summary in page.agents:
                yield RemoteAgent(
                    self.name,
                    summary.agent_id,
                    summary.name,
                    {"name": summary.name, "tags": list(summary.tags)},
                )
            if not page.has_more or not page.next_cursor:
                return
            cursor = page.next_cursor

    async def delete_agent(self, remote_id: str) -> None:
        await self._call(
            f"delete agent {remote_id}",
            self.sdk.conversational_ai.agents.delete(remote_id, request_options=NO_SDK_RETRIES),
        )

    def list_voices(self) -> AsyncIterator[Voice]:
        return voices.list_voices(self)

    async def get_voice(self, voice_id: str) -> Voice:
        return await voices.get_voice(self, voice_id)

    def list_conversations(
        self, *, since: datetime | None = None
    ) -> AsyncIterator[ConversationRef]:
        return conversation_adapter.list_conversations(self, since=since)

    async def get_conversation(self, remote_id: str) -> ConversationRecord:
        return await conversation_adapter.get_conversation(self, remote_id)

    def open_audio(self, remote_id: str) -> AbstractAsyncContextManager[Recording]:
        return conversation_adapter.open_audio(self, remote_id)

    async def start_web(self, request: StartRequest) -> Started:
        return await starts.start_web(self, request)

    async def start_phone(self, request: StartRequest, phone: PhoneLine) -> Started:
        return await starts.start_phone(self, request, phone)

    def initiation_answer(self, request: StartRequest) -> dict[str, Any]:
        return starts.client_data(request, inbound=True)

    async def serve_version(
        self, target: StartTarget, *, name: str, description: str
    ) -> StartTarget:
        return await starts.serve_version(self, target, name=name, description=description)

    async def retire(self, serving: StartTarget) -> None:
        await starts.retire(self, serving)


def _remote(agent: Any) -> RemoteAgent:
    data = agent.model_dump(mode="json", by_alias=True, exclude_unset=True)
    payload = {
        key: data[key]
        for key in ("name", "tags", "conversation_config", "platform_settings")
        if key in data
    }
    return RemoteAgent(
        "elevenlabs",
        agent.agent_id,
        agent.name,
        payload,
        version_id=getattr(agent, "version_id", None),
        branch_id=getattr(agent, "branch_id", None),
    )


def _error(exc: ApiError, action: str) -> ProviderError:
    status = exc.status_code or 500
    request = httpx.Request("GET", "https://elevenlabs.invalid")
    body = exc.body if isinstance(exc.body, dict | list) else {"detail": str(exc.body)}
    response = httpx.Response(status, json=body, headers=exc.headers or {}, request=request)
    return from_response("elevenlabs", response, action)
