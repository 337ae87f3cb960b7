"""A real emulator server for WebSocket tests: uvicorn on a free port, in a background thread.

The SDK's `Conversation` client opens real sockets, so these tests cannot use the in-process
ASGI transport. Everything a test does to the running emulator (REST, `/_emulator/advance`)
goes through the same server, so all state changes happen on the server's own event loop.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from elevenlabs.client import ElevenLabs

from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.state import Emulator
from tests.emulator.conftest import EL_KEY, Receiver

with warnings.catch_warnings():
    # The SDK's module names websockets' deprecated legacy client class at import time.
    warnings.simplefilter("ignore", DeprecationWarning)
    from elevenlabs.conversational_ai.conversation import (
        AudioInterface,
        ClientTools,
        Conversation,
        ConversationInitiationData,
        DisconnectionDetails,
    )

__all__ = ["AudioInterface", "ClientTools", "Conversation", "ConversationInitiationData"]


@dataclass
class LiveServer:
    url: str
    emu: Emulator
    client: ElevenLabs
    http: httpx.Client

    def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(f"{self.url}/_emulator/{path}", json=body)
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result


@contextmanager
def live_server(receiver: Receiver) -> Iterator[LiveServer]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    config = EmulatorConfig(
        seed=11,
        elevenlabs_api_keys=frozenset({EL_KEY}),
        public_url=url,
        outgoing_transport=httpx.ASGITransport(app=receiver.app()),
    )
    app = create_emulator_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the emulator server did not start")
        time.sleep(0.005)
    try:
        with httpx.Client(timeout=10) as http:
            client = ElevenLabs(base_url=f"{url}/elevenlabs", api_key=EL_KEY, httpx_client=http)
            yield LiveServer(url=url, emu=app.state.emu, client=client, http=http)
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Callbacks:
    """Collects a Conversation's callbacks; `wait` blocks until a condition holds."""

    responses: list[str] = field(default_factory=list)
    transcripts: list[str] = field(default_factory=list)
    disconnect: DisconnectionDetails | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)

    def on_response(self, text: str) -> None:
        with self.changed:
            self.responses.append(text)
            self.changed.notify_all()

    def on_transcript(self, text: str) -> None:
        with self.changed:
            self.transcripts.append(text)
            self.changed.notify_all()

    def on_disconnect(self, details: DisconnectionDetails) -> None:
        with self.changed:
            self.disconnect = details
            self.changed.notify_all()

    def kwargs(self) -> dict[str, Any]:
        return {
            "callback_agent_response": self.on_response,
            "callback_user_transcript": self.on_transcript,
            "callback_disconnect": self.on_disconnect,
        }

    def wait_responses(self, count: int) -> list[str]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.responses) >= count, timeout=10):
                raise AssertionError(f"only {self.responses} after 10 s")
            return list(self.responses)

    def wait_disconnect(self) -> DisconnectionDetails:
        with self.changed:
            if not self.changed.wait_for(lambda: self.disconnect is not None, timeout=10):
                raise AssertionError("no disconnect after 10 s")
            assert self.disconnect is not None
            return self.disconnect
