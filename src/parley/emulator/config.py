"""Emulator settings: which API keys it accepts, its seed, where state persists, public URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class EmulatorConfig:
    seed: int = 0
    # None accepts any non-empty key; a set accepts only those keys.
    elevenlabs_api_keys: frozenset[str] | None = None
    ultravox_api_keys: frozenset[str] | None = None
    state_file: Path | None = None
    # Base URL clients reach the emulator at (used in signed URLs and joinUrls).
    public_url: str = "http://127.0.0.1:8790"
    # Outgoing HTTP (webhooks, server tools): tests inject an ASGI transport here.
    outgoing_transport: httpx.AsyncBaseTransport | None = None
    outgoing_timeout_s: float = 10.0
    # Background loops (webhook delivery, batch scheduler) tick this often in real time.
    tick_s: float = 0.05
    # Every this many seconds, move surviving objects out of the garbage collector's reach
    # (gc.freeze): the emulator keeps every conversation, and a full collection over all of
    # them stalls every socket for 100 ms and more (docs/benchmarks.md). None: leave GC alone.
    gc_freeze_s: float | None = None
    # Real seconds between an agent's goodbye and the socket closing (audio still streaming).
    hangup_grace_s: float = 0.25
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def public_ws_url(self) -> str:
        return self.public_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
