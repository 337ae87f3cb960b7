"""Building the provider adapters from settings: one resilient HTTP client per provider.

Adding a provider is a package under `providers/` plus one entry in `FACTORIES`. Tests pass
`transports` to aim the real adapters at the emulator in-process; tests of code that builds its
own `Providers` (the CLI) set `TRANSPORT_OVERRIDES` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack

import httpx

from parley.config import Settings
from parley.errors import InvalidInput
from parley.providers.base import AgentProvider
from parley.providers.elevenlabs.adapter import ElevenLabsAdapter
from parley.providers.resilience import Resilience, ResilientTransport
from parley.providers.ultravox.adapter import UltravoxAdapter

Factory = Callable[[str, str, httpx.AsyncClient], AgentProvider]

FACTORIES: dict[str, Factory] = {
    "elevenlabs": lambda key, url, http: ElevenLabsAdapter(api_key=key, base_url=url, http=http),
    "ultravox": lambda key, url, http: UltravoxAdapter(api_key=key, base_url=url, http=http),
}
PROVIDERS = tuple(FACTORIES)

# Client-side pacing under each provider's limits. Ultravox documents 200 requests/s per key;
# ElevenLabs documents no REST rate for ConvAI (only concurrency), so Parley stays modest.
LIMITS: dict[str, tuple[int, float]] = {  # (concurrent requests, requests per second)
    "elevenlabs": (8, 40.0),
    "ultravox": (8, 100.0),
}

# Test-only seam: the transport for a provider when `Providers` was given none. CLI commands build
# `Providers(settings)` themselves, so their tests reach the in-process emulator through this with
# `monkeypatch.setitem(registry.TRANSPORT_OVERRIDES, "elevenlabs", httpx.ASGITransport(app=...))`.
# Nothing else writes it; empty, every provider is called over the network.
TRANSPORT_OVERRIDES: dict[str, httpx.AsyncBaseTransport] = {}


def credentials(settings: Settings, provider: str) -> tuple[str | None, str]:
    if provider == "elevenlabs":
        key = settings.elevenlabs_api_key
        return (key.get_secret_value() if key else None), settings.elevenlabs_base_url
    key = settings.ultravox_api_key
    return (key.get_secret_value() if key else None), settings.ultravox_base_url


def pools() -> dict[str, httpx.AsyncBaseTransport]:
    """One connection pool per provider for a process to lend to its `Providers` (see
    `Providers(pools=...)`); its owner closes them. A new transport loads the CA bundle into an
    SSL context, tens of milliseconds of CPU, and opens new connections: too much per request."""
    return {name: httpx.AsyncHTTPTransport(retries=0) for name in FACTORIES}


class _Borrowed(httpx.AsyncBaseTransport):
    """A pooled transport as one `Providers` sees it: used, never closed."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass


class Providers:
    """The adapters for a unit of work; `async with` closes their HTTP clients. `pools`
    (from `pools()`) replaces the transport each adapter would otherwise open for itself;
    everything else (pacing, retries, the circuit breaker) stays this object's own."""

    def __init__(
        self,
        settings: Settings,
        *,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        resilience: Mapping[str, Resilience] | None = None,
        pools: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self.settings = settings
        self.transports = dict(transports or {})
        self.resilience = dict(resilience or {})
        self.pools = dict(pools or {})
        self._adapters: dict[str, AgentProvider] = {}
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Providers:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    def get(self, provider: str) -> AgentProvider:
        if provider in self._adapters:
            return self._adapters[provider]
        if provider not in FACTORIES:
            raise InvalidInput(f"unknown provider {provider!r}; known: {', '.join(PROVIDERS)}")
        key, base_url = credentials(self.settings, provider)
        if not key:
            env = f"PARLEY_{provider.upper()}_API_KEY"
            raise InvalidInput(f"no API key for {provider}: set {env}")
        pooled = self.pools.get(provider)
        inner = (
            self.transports.get(provider)
            or TRANSPORT_OVERRIDES.get(provider)
            or (_Borrowed(pooled) if pooled is not None else httpx.AsyncHTTPTransport(retries=0))
        )
        concurrency, rate = LIMITS[provider]
        res = self.resilience.setdefault(
            provider,
            Resilience(provider, max_concurrency=concurrency, requests_per_second=rate, burst=20),
        )
        http = httpx.AsyncClient(
            transport=ResilientTransport(inner, res), timeout=self.settings.provider_timeout_s
        )
        self._stack.push_async_callback(http.aclose)
        adapter = FACTORIES[provider](key, base_url, http)
        self._adapters[provider] = adapter
        return adapter
