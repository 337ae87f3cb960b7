"""The adapters' `open_audio`: the real adapters on the emulator (the happy paths are in
tests/conversations/test_audio.py), plus the Ultravox redirect's edge cases (another host, no
target, a non-HTTP scheme) on a scripted transport, since the emulator's storage is one host."""

from __future__ import annotations

import httpx
import pytest

from parley.providers.errors import ProviderNotFound, ProviderRejected
from parley.providers.registry import Providers
from parley.providers.ultravox.client import UltravoxClient
from parley.providers.ultravox.conversation_adapter import open_audio
from tests.providers.conftest import UV_KEY


@pytest.mark.parametrize("provider", ["elevenlabs", "ultravox"])
async def test_no_such_conversation_is_provider_not_found(
    providers: Providers, provider: str
) -> None:
    with pytest.raises(ProviderNotFound):
        async with providers.get(provider).open_audio("missing-0001"):
            pass


class Storage(httpx.AsyncBaseTransport):
    """Ultravox answering the recording with a redirect to `location`; storage serves bytes."""

    def __init__(self, location: str | None) -> None:
        self.location = location
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.host == "api.ultravox.test":
            headers = {"location": self.location} if self.location else {}
            return httpx.Response(302, headers=headers)
        return httpx.Response(200, content=b"RIFF....WAVE", headers={"content-type": "audio/wav"})


def _client(transport: Storage) -> UltravoxClient:
    http = httpx.AsyncClient(transport=transport)
    return UltravoxClient(api_key=UV_KEY, base_url="https://api.ultravox.test", http=http)


async def test_ultravox_redirect_to_another_host_goes_without_the_key() -> None:
    storage = Storage("https://storage.example/rec/call-1.wav?sig=abc")
    async with open_audio(_client(storage), "call-1") as recording:
        data = b"".join([chunk async for chunk in recording.chunks])
    assert (recording.media_type, data) == ("audio/wav", b"RIFF....WAVE")
    api, stored = storage.seen
    assert api.headers["x-api-key"] == UV_KEY
    assert stored.url.host == "storage.example"
    assert "x-api-key" not in stored.headers


@pytest.mark.parametrize("location", [None, "file:///etc/passwd"])
async def test_ultravox_redirect_without_a_usable_target_is_refused(location: str | None) -> None:
    storage = Storage(location)
    with pytest.raises(ProviderRejected):
        async with open_audio(_client(storage), "call-1"):
            pass
    assert len(storage.seen) == 1
