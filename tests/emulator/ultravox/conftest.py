"""A live emulator on a free 127.0.0.1 port, for tests that need a real WebSocket.

uvicorn serves the app (with its lifespan, so the clock ticks) in a background thread; the
joinUrl it hands out points at that port, so clients connect exactly as they would in a demo.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.state import Emulator
from tests.emulator.conftest import UV_KEY, Receiver


@dataclass
class Live:
    url: str
    http: httpx.Client
    emu: Emulator


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live(receiver: Receiver) -> Iterator[Live]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    config = EmulatorConfig(
        seed=7,
        ultravox_api_keys=frozenset({UV_KEY}),
        public_url=url,
        outgoing_transport=httpx.ASGITransport(app=receiver.app()),
    )
    app = create_emulator_app(config)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                       ws="websockets-sansio", lifespan="on")
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "emulator did not start"
        time.sleep(0.01)
    with httpx.Client(base_url=url, timeout=10) as http:
        yield Live(url=url, http=http, emu=app.state.emu)
    server.should_exit = True
    thread.join(timeout=10)
