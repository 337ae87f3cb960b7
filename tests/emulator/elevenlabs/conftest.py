"""ElevenLabs conformance fixtures: the official SDK aimed at the emulator, in process.

`sdk` is `AsyncElevenLabs` over httpx's ASGI transport, so every response is parsed by the SDK's
own pydantic models; `make_agent` creates an agent through it with a small realistic config.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from elevenlabs.client import AsyncElevenLabs
from fastapi import FastAPI

from tests.emulator.conftest import EL_KEY

BASE_URL = "http://emulator.test/elevenlabs"

MakeAgent = Callable[..., Awaitable[str]]


@pytest.fixture
async def sdk(emulator_app: FastAPI) -> AsyncIterator[AsyncElevenLabs]:
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport) as http:
        yield AsyncElevenLabs(base_url=BASE_URL, api_key=EL_KEY, httpx_client=http)


@pytest.fixture
def make_agent(sdk: AsyncElevenLabs) -> MakeAgent:
    async def make(
        name: str = "Support", conversation: dict[str, Any] | None = None, **extra: Any
    ) -> str:
        config = {
            "agent": {
                "first_message": "Hello {{name}}, how can I help?",
                "prompt": {"prompt": "You help {{name}} with their account."},
            },
            **(conversation or {}),
        }
        created = await sdk.conversational_ai.agents.create(
            conversation_config=config, name=name, **extra
        )
        return created.agent_id

    return make


def split(shares: dict[str, float]) -> dict[str, Any]:
    """A `deployment_request` body giving each branch its share of traffic."""
    return {
        "requests": [
            {
                "branch_id": branch_id,
                "deployment_strategy": {"type": "percentage", "traffic_percentage": share},
            }
            for branch_id, share in shares.items()
        ]
    }
