"""Shared bits for the Ultravox emulator tests: headers, factories, an independent verifier.

`verify_signature` is written from the contract (section 7.3), not from the emulator: hex
HMAC-SHA256 of the raw body followed by the timestamp header, any of the comma-separated
signatures may match, stale timestamps are refused.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.emulator.conftest import UV_KEY
from tests.emulator.ultravox import spec

H = {"X-API-Key": UV_KEY}
BASE = "/ultravox"


async def create_agent(client: httpx.AsyncClient, **template: Any) -> dict[str, Any]:
    body = {"name": template.pop("name", "support"), "callTemplate": template}
    answer = await client.post(f"{BASE}/api/agents", json=body, headers=H)
    assert answer.status_code == 201, answer.text
    spec.check(answer.json(), "/api/agents", "post", 201)
    result: dict[str, Any] = answer.json()
    return result


async def start_agent_call(client: httpx.AsyncClient, agent_id: str, **body: Any) -> dict[str, Any]:
    answer = await client.post(f"{BASE}/api/agents/{agent_id}/calls", json=body, headers=H)
    assert answer.status_code == 201, answer.text
    spec.check(answer.json(), "/api/agents/{agent_id}/calls", "post", 201)
    result: dict[str, Any] = answer.json()
    return result


async def get_call(client: httpx.AsyncClient, call_id: str) -> dict[str, Any]:
    answer = await client.get(f"{BASE}/api/calls/{call_id}", headers=H)
    assert answer.status_code == 200, answer.text
    spec.check(answer.json(), "/api/calls/{call_id}", "get", 200)
    result: dict[str, Any] = answer.json()
    return result


def verify_signature(
    body: bytes, headers: dict[str, str], secret: str, now: datetime, tolerance_s: float = 60
) -> bool:
    stamp = headers["x-ultravox-webhook-timestamp"]
    sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if abs((now - sent).total_seconds()) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), body + stamp.encode(), hashlib.sha256).hexdigest()
    given = headers.get("x-ultravox-webhook-signature", "").split(",")
    return any(hmac.compare_digest(expected, s.strip()) for s in given)


def emulator_now(emu: Any) -> datetime:
    return datetime.fromtimestamp(emu.clock.now(), UTC)
