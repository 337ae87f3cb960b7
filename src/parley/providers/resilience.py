"""Calling providers politely and surviving their bad days, as an httpx transport.

`ResilientTransport` wraps the real transport, so both the official ElevenLabs SDK (given our
httpx client) and our own Ultravox client get the same behaviour:

- bounded concurrency per provider, and client-side pacing (a token bucket) under its limits;
- retries with exponential backoff and full jitter, honouring `Retry-After`, on 408, 429, 5xx
  and connection failures. Requests that may have changed something (POST) are retried only
  when the provider surely did not process them: 429, 408, 503, or a connection never made;
- a circuit breaker: after repeated failures it fails fast for a while instead of piling up
  timeouts on a provider that is down, then lets one request probe.

Sleeping and the clock are injectable so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from parley.providers.errors import ProviderUnavailable, display, retry_after_seconds

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Statuses that prove a non-idempotent request was not carried out.
UNPROCESSED_STATUSES = frozenset({408, 429, 503})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^attempt)]."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**attempt))
        return rng.uniform(0, ceiling)


@dataclass
class TokenBucket:
    """At most `rate` requests a second on average, bursts of `burst`."""

    rate: float
    burst: int
    clock: Clock = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.updated = self.clock()

    def wait_time(self) -> float:
        """Take a token; the seconds to wait before using it (0 when one was available)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass
class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `cooldown_s` one probe may pass."""

    threshold: int = 5
    cooldown_s: float = 30.0
    clock: Clock = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.cooldown_s else "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self.probing:
            self.probing = True
            return True
        return False

    def release(self) -> None:
        """A probe ended without a verdict (429, 408, cancelled): let the next one through."""
        self.probing = False

    def success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        self.probing = False
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = self.clock()


@dataclass
class Resilience:
    """The settings and shared state for one provider (one per provider per process)."""

    provider: str
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_concurrency: int = 8
    requests_per_second: float = 20.0
    burst: int = 20
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0  # every request sent, retries included (for benchmarks and tests)

    def __post_init__(self) -> None:
        self.semaphore = asyncio.Semaphore(self.max_concurrency)
        self.bucket = TokenBucket(self.requests_per_second, self.burst, clock=self.breaker.clock)


class ResilientTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, resilience: Resilience) -> None:
        self.inner = inner
        self.res = resilience

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        res = self.res
        name = display(res.provider)
        attempt = 0
        while True:
            if not res.breaker.allow():
                raise ProviderUnavailable(
                    res.provider,
                    f"{name} is failing repeatedly; not calling it for a while "
                    f"(circuit open for {res.breaker.cooldown_s:.0f} s)",
                )
            wait = res.bucket.wait_time()
            if wait > 0:
                await res.sleep(wait)
            try:
                async with res.semaphore:
                    res.attempts += 1
                    response = await self.inner.handle_async_request(request)
            except httpx.TransportError as exc:
                res.breaker.failure()
                if not self._may_retry_error(request, exc, attempt):
                    raise
                await res.sleep(res.retry.backoff(attempt, res.rng))
                attempt += 1
                continue
            except BaseException:
                res.breaker.release()  # cancelled or failed here: the probe, if any, is over
                raise
            if response.status_code < 500 and response.status_code not in (408, 429):
                res.breaker.success()
                return response
            if response.status_code >= 500:
                res.breaker.failure()
            else:
                res.breaker.release()  # 408/429 say nothing about the provider being down
            if not self._may_retry_status(request, response.status_code, attempt):
                return response
            delay = retry_after_seconds(response)
            if delay is None or delay > res.retry.max_retry_after_s:
                delay = res.retry.backoff(attempt, res.rng)
            await response.aclose()
            await res.sleep(delay)
            attempt += 1

    def _may_retry_status(self, request: httpx.Request, status: int, attempt: int) -> bool:
        if attempt + 1 >= self.res.retry.max_attempts or status not in RETRY_STATUSES:
            return False
        return request.method in IDEMPOTENT or status in UNPROCESSED_STATUSES

    def _may_retry_error(
        self, request: httpx.Request, exc: httpx.TransportError, attempt: int
    ) -> bool:
        if attempt + 1 >= self.res.retry.max_attempts:
            return False
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        return request.method in IDEMPOTENT or never_sent

    async def aclose(self) -> None:
        await self.inner.aclose()
