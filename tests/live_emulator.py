"""The emulator on a real local port, in a background thread, for tests that need a socket
(the CLI talking to providers by URL, the SDK's WebSocket client)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.state import Emulator


@dataclass
class RunningEmulator:
    url: str
    emu: Emulator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_emulator(seed: int = 5) -> Iterator[RunningEmulator]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_emulator_app(EmulatorConfig(seed=seed, public_url=url))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the emulator server did not start")
        time.sleep(0.005)
    try:
        yield RunningEmulator(url, app.state.emu)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
