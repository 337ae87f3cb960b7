"""A typed client for the Ultravox REST API (agents, calls, voices), over an injected httpx client.

Ultravox publishes no official Python client for its REST API, so this is ours: plain httpx,
`X-API-Key`, DRF pagination followed by its `next` links verbatim, errors in Parley's family.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from parley.providers.errors import ProviderRejected, ProviderUnavailable, from_response

PAGE_SIZE = 100


class UltravoxClient:
    def __init__(self, *, api_key: str, base_url: str, http: httpx.AsyncClient) -> None:
        self.http = http
        self.base = base_url.rstrip("/")
        self.headers = {"X-API-Key": api_key}

    async def request(
        self,
        method: str,
        path: str,
        action: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        url: str | None = None,
    ) -> Any:
        try:
            answer = await self.http.request(
                method, url or f"{self.base}{path}", json=json, params=params, headers=self.headers
            )
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                "ultravox", f"Ultravox could not be reached to {action} ({type(exc).__name__})"
            ) from None
        if answer.status_code >= 400:
            raise from_response("ultravox", answer, action)
        return answer.json() if answer.content else None

    async def pages(self, path: str, action: str, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every result of a list endpoint, following `next` links as given."""
        page = await self.request("GET", path, action, params={"pageSize": PAGE_SIZE, **params})
        while True:
            for item in page.get("results", []):
                yield item
            following = page.get("next")
            if not following:
                return
            if httpx.URL(following).netloc != httpx.URL(self.base).netloc:
                # The API key goes with every request: never to a host we were not given.
                raise ProviderRejected(
                    "ultravox", f"Ultravox sent a next-page link to another host ({following})"
                )
            page = await self.request("GET", "", action, url=following)

    async def create_agent(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "POST", "/api/agents", "create an agent", json=body
        )
        return result

    async def get_agent(self, agent_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "GET", f"/api/agents/{agent_id}", f"read agent {agent_id}"
        )
        return result

    async def update_agent(self, agent_id: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "PATCH", f"/api/agents/{agent_id}", f"update agent {agent_id}", json=body
        )
        return result

    async def delete_agent(self, agent_id: str) -> None:
        await self.request("DELETE", f"/api/agents/{agent_id}", f"delete agent {agent_id}")

    def agents(self, search: str | None = None) -> AsyncIterator[dict[str, Any]]:
        params = {"search": search} if search else {}
        return self.pages("/api/agents", "list agents", **params)

    def voices(self, search: str | None = None) -> AsyncIterator[dict[str, Any]]:
        params = {"search": search} if search else {}
        return self.pages("/api/voices", "list voices", **params)

    async def get_voice(self, voice_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request(
            "GET", f"/api/voices/{voice_id}", f"read voice {voice_id}"
        )
        return result
