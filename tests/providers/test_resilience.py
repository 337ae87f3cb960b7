"""Retries, pacing and the circuit breaker, against the emulator with injected faults."""

from __future__ import annotations

import random

import httpx
import pytest

from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.faults import FaultRule
from parley.emulator.state import Emulator
from parley.providers.errors import ProviderUnavailable
from parley.providers.resilience import (
    CircuitBreaker,
    Resilience,
    ResilientTransport,
    RetryPolicy,
    TokenBucket,
)

PATH = "/elevenlabs/v1/convai/agents"


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


Emulated = tuple[httpx.ASGITransport, Emulator]


@pytest.fixture
def emulator() -> Emulated:
    app = create_emulator_app(EmulatorConfig(seed=1))
    return httpx.ASGITransport(app=app), app.state.emu


def client_for(
    transport: httpx.AsyncBaseTransport,
    time_: FakeTime,
    threshold: int = 5,
    retry: RetryPolicy | None = None,
) -> tuple[httpx.AsyncClient, Resilience]:
    res = Resilience(
        "elevenlabs",
        retry=retry or RetryPolicy(),
        breaker=CircuitBreaker(threshold=threshold, cooldown_s=30, clock=time_.clock),
        sleep=time_.sleep,
        rng=random.Random(0),
        requests_per_second=1000,
        burst=1000,
    )
    return httpx.AsyncClient(transport=ResilientTransport(transport, res), base_url="http://e"), res


async def test_429_storm_honours_retry_after(emulator: Emulated, time_: FakeTime) -> None:
    transport, emu = emulator
    emu.faults.add(FaultRule(kind="http_error", path=PATH, status=429, retry_after=3, count=2))
    client, res = client_for(transport, time_)
    answer = await client.get(PATH)
    assert answer.status_code != 429
    assert time_.sleeps == [3.0, 3.0]
    assert res.attempts == 3


async def test_5xx_is_retried_for_reads_but_not_for_creates(
    emulator: Emulated, time_: FakeTime
) -> None:
    transport, emu = emulator
    emu.faults.add(FaultRule(kind="http_error", path=PATH, status=500, count=2))
    client, res = client_for(transport, time_)
    assert (await client.get(PATH)).status_code != 500
    assert res.attempts == 3
    assert len(time_.sleeps) == 2
    assert all(0 <= s <= 0.5 * 2**i for i, s in enumerate(time_.sleeps))
    emu.faults.add(FaultRule(kind="http_error", path=PATH, status=500, count=1))
    assert (await client.post(PATH, json={})).status_code == 500  # may have been created
    emu.faults.add(FaultRule(kind="http_error", path=PATH, status=503, count=1))
    assert (await client.post(PATH, json={})).status_code != 503  # 503: surely not processed


async def test_gives_up_after_max_attempts(emulator: Emulated, time_: FakeTime) -> None:
    transport, emu = emulator
    emu.faults.add(FaultRule(kind="http_error", path=PATH, status=429, retry_after=1))
    client, res = client_for(transport, time_, retry=RetryPolicy(max_attempts=4))
    assert (await client.get(PATH)).status_code == 429
    assert res.attempts == 4


async def test_circuit_opens_then_probes(emulator: Emulated, time_: FakeTime) -> None:
    transport, emu = emulator
    emu.faults.add(FaultRule(kind="http_error", path=PATH, status=500, count=3))
    client, res = client_for(transport, time_, threshold=3, retry=RetryPolicy(max_attempts=1))
    for _ in range(3):
        assert (await client.get(PATH)).status_code == 500
    assert res.breaker.state == "open"
    with pytest.raises(ProviderUnavailable, match="circuit open"):
        await client.get(PATH)
    assert res.attempts == 3  # failing fast: the provider was not called
    time_.now += 31
    assert res.breaker.state == "half_open"
    assert (await client.get(PATH)).status_code != 500  # the probe succeeds
    assert res.breaker.state == "closed"


class Unreachable(httpx.AsyncBaseTransport):
    """A provider whose host refuses connections (a fake at the network seam)."""

    def __init__(self, failures: int, then: httpx.AsyncBaseTransport) -> None:
        self.failures = failures
        self.then = then

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.failures:
            self.failures -= 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self.then.handle_async_request(request)


async def test_connection_failures_are_retried_even_for_posts(
    emulator: Emulated, time_: FakeTime
) -> None:
    transport, _emu = emulator
    client, res = client_for(Unreachable(2, transport), time_)
    assert (await client.post(PATH, json={})).status_code < 500
    assert res.attempts == 3
    down, _ = client_for(Unreachable(99, transport), time_, retry=RetryPolicy(max_attempts=2))
    with pytest.raises(httpx.ConnectError):
        await down.get(PATH)


def test_token_bucket_paces_after_the_burst(time_: FakeTime) -> None:
    bucket = TokenBucket(rate=10, burst=2, clock=time_.clock)
    assert [bucket.wait_time() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.1)]
    time_.now += 1
    assert bucket.wait_time() == 0.0


async def test_a_429_during_the_probe_does_not_keep_the_circuit_open(
    emulator: Emulated, time_: FakeTime
) -> None:
    transport, emu = emulator
    emu.faults.add(FaultRule(kind="http_error", path=PATH, status=500, count=3))
    client, res = client_for(transport, time_, threshold=3, retry=RetryPolicy(max_attempts=1))
    for _ in range(3):
        await client.get(PATH)
    time_.now += 31
    emu.faults.add(FaultRule(kind="http_error", path=PATH, status=429, retry_after=1, count=1))
    assert (await client.get(PATH)).status_code == 429  # the probe was rate limited
    assert res.breaker.state == "half_open"
    assert (await client.get(PATH)).status_code != 429  # the next probe goes through
    assert res.breaker.state == "closed"
