"""Outgoing webhooks, sent as the providers send them: signed, timed out, retried on schedule.

Providers enqueue a delivery with a `sign` function (called at each attempt, since signatures
carry the attempt's timestamp) and a retry schedule. `pump()` sends whatever is due by the
emulator clock; a background loop calls it, and `/_emulator/advance` calls it after moving the
clock. Faults can drop a delivery or send it twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import httpx
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

Signer = Callable[[bytes, float], dict[str, str]]
RETRYABLE = {408, 429}


class Attempt(BaseModel):
    at: float
    status_code: int | None = None
    error: str | None = None


class Delivery(BaseModel):
    id: str
    provider: str
    event: str
    url: str
    body: str
    headers: dict[str, str] = Field(default_factory=dict)
    status: Literal["pending", "delivered", "failed", "dropped"] = "pending"
    attempts: list[Attempt] = Field(default_factory=list)
    retry_schedule: list[float] = Field(default_factory=list)
    # ElevenLabs retries only 5xx/408/429; Ultravox retries any answer that is not 2xx.
    retry_any_failure: bool = False
    next_attempt_at: float | None = None
    duplicate_of: str | None = None


class Outbox:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.deliveries: list[Delivery] = []
        self._signers: dict[str, Signer] = {}
        self._lock = asyncio.Lock()

    def enqueue(
        self,
        *,
        provider: str,
        event: str,
        url: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        sign: Signer | None = None,
        retry_schedule: list[float] | None = None,
        retry_any_failure: bool = False,
    ) -> Delivery:
        """Queue a delivery due now; faults may drop it or add a duplicate."""
        faults = self.emu.faults
        delivery = Delivery(
            id=self.emu.ids.hex(16),
            provider=provider,
            event=event,
            url=url,
            body=body.decode("utf-8"),
            headers=dict(headers or {}),
            retry_schedule=list(retry_schedule or []),
            retry_any_failure=retry_any_failure,
            next_attempt_at=self.emu.clock.now(),
        )
        if sign is not None:
            self._signers[delivery.id] = sign
        self.deliveries.append(delivery)
        if faults.match("drop_webhook", event) or faults.match("drop_webhook", url):
            delivery.status = "dropped"
            delivery.next_attempt_at = None
            return delivery
        if faults.match("duplicate_webhook", event) or faults.match("duplicate_webhook", url):
            copy = delivery.model_copy(
                update={"id": self.emu.ids.hex(16), "duplicate_of": delivery.id, "attempts": []}
            )
            if sign is not None:
                self._signers[copy.id] = sign
            self.deliveries.append(copy)
        return delivery

    def due(self) -> list[Delivery]:
        now = self.emu.clock.now()
        return [
            d
            for d in self.deliveries
            if d.status == "pending" and d.next_attempt_at is not None and d.next_attempt_at <= now
        ]

    async def pump(self) -> int:
        """Send every due delivery once; returns how many attempts were made."""
        async with self._lock:
            due = self.due()
            if not due:
                return 0
            async with self.emu.http_client() as client:
                await asyncio.gather(*(self._attempt(client, d) for d in due))
            return len(due)

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        now = self.emu.clock.now()
        raw = delivery.body.encode("utf-8")
        headers = {"content-type": "application/json", **delivery.headers}
        signer = self._signers.get(delivery.id)
        if signer is not None:
            headers.update(signer(raw, now))
        attempt = Attempt(at=now)
        try:
            answer = await client.post(delivery.url, content=raw, headers=headers)
            attempt.status_code = answer.status_code
            ok = 200 <= answer.status_code < 300
            retryable = (
                delivery.retry_any_failure
                or answer.status_code >= 500
                or answer.status_code in RETRYABLE
            )
        except httpx.HTTPError as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
            ok, retryable = False, True
        delivery.attempts.append(attempt)
        if ok:
            delivery.status, delivery.next_attempt_at = "delivered", None
            return
        tries = len(delivery.attempts)
        if retryable and tries <= len(delivery.retry_schedule):
            delay = delivery.retry_schedule[tries - 1]
            jitter = delay * 0.1 * self.emu.rng.random()
            delivery.next_attempt_at = now + delay + jitter
        else:
            delivery.status, delivery.next_attempt_at = "failed", None
