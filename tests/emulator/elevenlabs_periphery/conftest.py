"""Periphery conformance fixtures: the official SDK aimed at the emulator, plus a strict check.

The SDK parses answers leniently (its models are built without validation), so a wrong shape
could slip through. `wire` records every raw answer the SDK received, and `conforms(type)`
validates the last one strictly against the SDK's own pydantic type: a missing required field or
a wrongly typed value fails the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from elevenlabs.client import AsyncElevenLabs
from fastapi import FastAPI
from pydantic import TypeAdapter

from tests.emulator.conftest import EL_KEY

BASE_URL = "http://emulator.test/elevenlabs"


class Wire(httpx.AsyncBaseTransport):
    """An ASGI transport that keeps every response it carried."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.responses: list[httpx.Response] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.responses.append(response)
        return response

    def last(self) -> Any:
        return self.responses[-1].json()

    def conforms(self, type_: Any) -> Any:
        """Validate the last answer strictly as the SDK type `type_`; returns the model."""
        return TypeAdapter(type_).validate_python(self.last())


@pytest.fixture
def wire(emulator_app: FastAPI) -> Wire:
    return Wire(emulator_app)


@pytest.fixture
async def sdk(wire: Wire) -> AsyncIterator[AsyncElevenLabs]:
    async with httpx.AsyncClient(transport=wire) as http:
        yield AsyncElevenLabs(base_url=BASE_URL, api_key=EL_KEY, httpx_client=http)


@pytest.fixture
async def agent_id(sdk: AsyncElevenLabs) -> str:
    """An agent made through the SDK, with a templated first message."""
    created = await sdk.conversational_ai.agents.create(
        name="Support",
        conversation_config={
            "agent": {
                "first_message": "Hello {{name}}, how can I help?",
                "prompt": {"prompt": "You help customers with orders."},
            }
        },
    )
    return created.agent_id
