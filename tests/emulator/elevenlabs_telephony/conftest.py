"""Telephony fixtures: the SDK over a recording wire, an agent, numbers, a webhook, the clock.

`receiver` is replaced here by `AnsweringReceiver`, which can answer a path with a JSON body (the
conversation-initiation webhook's reply) or stall it (a timeout); the shared fixtures build the
emulator around whichever receiver this folder provides. `advance` moves the emulator clock
through `/_emulator/advance`, which also runs the scheduler and sends due webhooks.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.conversational_ai.phone_numbers.types import (
    PhoneNumbersCreateRequestBody_SipTrunk,
    PhoneNumbersCreateRequestBody_Twilio,
)
from elevenlabs.types import WebhookHmacSettings
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from tests.emulator.conftest import EL_KEY, Receiver
from tests.emulator.elevenlabs_periphery.conftest import Wire

BASE_URL = "http://emulator.test/elevenlabs"
HOOK_URL = "http://hooks.test/elevenlabs"
INITIATION_URL = "http://hooks.test/initiation"
AGENT_NUMBER = "+14155550100"

Advance = Callable[..., Awaitable[dict[str, Any]]]


@dataclass
class AnsweringReceiver(Receiver):
    """A Receiver that may answer a path with JSON (`answers`) or stall it (`stall_s`)."""

    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    stall_s: dict[str, float] = field(default_factory=dict)

    def app(self) -> FastAPI:
        receiver = FastAPI()

        @receiver.post("/{path:path}")
        async def record(path: str, request: Request) -> Response:
            self.requests.append(
                {"path": "/" + path, "headers": dict(request.headers), "body": await request.body()}
            )
            if "/" + path in self.stall_s:
                await asyncio.sleep(self.stall_s["/" + path])
            if "/" + path in self.answers:
                status, body = self.answers["/" + path]
                return JSONResponse(body, status_code=status)
            status = self.statuses.pop(0) if self.statuses else 200
            return Response(status_code=status)

        return receiver

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests if r["path"] == path]


@pytest.fixture
def receiver() -> AnsweringReceiver:
    return AnsweringReceiver()


@pytest.fixture
def wire(emulator_app: FastAPI) -> Wire:
    return Wire(emulator_app)


@pytest.fixture
async def sdk(wire: Wire) -> AsyncIterator[AsyncElevenLabs]:
    async with httpx.AsyncClient(transport=wire) as http:
        yield AsyncElevenLabs(base_url=BASE_URL, api_key=EL_KEY, httpx_client=http)


@pytest.fixture
def advance(client: httpx.AsyncClient) -> Advance:
    async def move(seconds: float = 0.0, **extra: Any) -> dict[str, Any]:
        answer = await client.post("/_emulator/advance", json={"seconds": seconds, **extra})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    return move


async def make_agent(sdk: AsyncElevenLabs, **platform: Any) -> str:
    """An agent whose first message needs `{{name}}`; `platform` goes to platform_settings."""
    created = await sdk.conversational_ai.agents.create(
        name="Caller",
        conversation_config={
            "agent": {
                "first_message": "Hello {{name}}, this is Parley calling.",
                "prompt": {"prompt": "You call {{name}} about their order."},
            }
        },
        platform_settings=platform or None,
    )
    return created.agent_id


@pytest.fixture
async def agent_id(sdk: AsyncElevenLabs) -> str:
    return await make_agent(sdk)


@pytest.fixture
async def twilio_number(sdk: AsyncElevenLabs, agent_id: str) -> str:
    created = await sdk.conversational_ai.phone_numbers.create(
        request=PhoneNumbersCreateRequestBody_Twilio(
            phone_number=AGENT_NUMBER, label="Outbound", sid="AC1", token="t", agent_id=agent_id
        )
    )
    return created.phone_number_id


@pytest.fixture
async def sip_number(sdk: AsyncElevenLabs) -> str:
    created = await sdk.conversational_ai.phone_numbers.create(
        request=PhoneNumbersCreateRequestBody_SipTrunk(
            phone_number="+14155550199",
            label="Trunk",
            outbound_trunk_config={"address": "sip.example.test", "transport": "tls"},
        )
    )
    return created.phone_number_id


@pytest.fixture
async def hook_secret(sdk: AsyncElevenLabs) -> str:
    """A post-call webhook for transcripts and call-initiation failures; returns its secret."""
    created = await sdk.webhooks.create(
        settings=WebhookHmacSettings(name="parley", webhook_url=HOOK_URL)
    )
    assert created.webhook_secret is not None
    await sdk.conversational_ai.settings.update(
        webhooks={
            "post_call_webhook_id": created.webhook_id,
            "events": ["transcript", "call_initiation_failure"],
        }
    )
    return created.webhook_secret


def events(sdk: AsyncElevenLabs, receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every post-call webhook received, verified and parsed by the SDK's construct_event."""
    found = []
    for request in receiver.requests:
        if request["path"] != "/elevenlabs":
            continue
        raw = request["body"].decode()
        signature = request["headers"]["elevenlabs-signature"]
        found.append(sdk.webhooks.construct_event(raw, signature, secret))
    return found
