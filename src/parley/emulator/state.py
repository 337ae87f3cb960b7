"""The emulator's whole state: clock, seeded randomness, faults, outbox and each provider's data.

Provider data are pydantic models, so `--state-file` persistence is a JSON dump and load.
Pending webhook deliveries and injected faults are not persisted: a restart is a clean network.
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from parley.emulator.clock import Clock
from parley.emulator.config import EmulatorConfig
from parley.emulator.faults import FaultBook
from parley.emulator.ids import IdFactory
from parley.emulator.outbox import Outbox
from parley.emulator.outcomes import OutcomeRule
from parley.emulator.provider import EmulatedProvider


class Emulator:
    def __init__(self, config: EmulatorConfig, providers: list[EmulatedProvider]) -> None:
        self.config = config
        self.providers = {p.name: p for p in providers}
        self.clock = Clock()
        self.dirty = False
        self.reset(config.seed)

    def reset(self, seed: int | None = None) -> None:
        """Forget everything: provider data, faults, outcome rules, deliveries, clock offset."""
        self.seed = self.config.seed if seed is None else seed
        self.rng = random.Random(self.seed)
        self.ids = IdFactory(self.rng)
        self.faults = FaultBook(self.rng)
        self.outbox = Outbox(self)
        self.outcome_rules: list[OutcomeRule] = []
        self.clock.offset = 0.0
        self.states: dict[str, BaseModel] = {
            name: provider.state_type() for name, provider in self.providers.items()
        }
        self.dirty = True

    def state(self, name: str) -> Any:
        return self.states[name]

    def http_client(self) -> httpx.AsyncClient:
        """A client for outgoing calls (webhooks, server tools); tests inject the transport."""
        return httpx.AsyncClient(
            transport=self.config.outgoing_transport,
            timeout=self.config.outgoing_timeout_s,
            follow_redirects=False,
        )

    # --- persistence -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "clock_offset": self.clock.offset,
            "states": {name: state.model_dump(mode="json") for name, state in self.states.items()},
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.reset(int(data.get("seed", self.config.seed)))
        self.clock.offset = float(data.get("clock_offset", 0.0))
        for name, raw in data.get("states", {}).items():
            if name in self.providers:
                self.states[name] = self.providers[name].state_type.model_validate(raw)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.snapshot()), encoding="utf-8")
        tmp.replace(path)
        self.dirty = False

    def load(self, path: Path) -> None:
        if path.exists():
            self.restore(json.loads(path.read_text(encoding="utf-8")))
        self.dirty = False

    # --- time ----------------------------------------------------------------------------------

    async def tick(self) -> None:
        """Let every provider move time-driven work forward, then send due webhooks."""
        for provider in self.providers.values():
            await provider.on_tick(self)
        await self.outbox.pump()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Background ticking and state saving while the app is up."""
        import asyncio

        async def loop() -> None:
            frozen_at = time.monotonic()
            while True:
                await asyncio.sleep(self.config.tick_s)
                every = self.config.gc_freeze_s
                if every is not None and time.monotonic() - frozen_at >= every:
                    gc.collect(1)  # young garbage first, so little of it becomes immortal
                    gc.freeze()
                    frozen_at = time.monotonic()
                try:
                    await self.tick()
                    if self.dirty and self.config.state_file is not None:
                        self.save(self.config.state_file)
                except Exception:  # a failing tick must not stop the emulator
                    import logging

                    logging.getLogger("parley.emulator").exception("tick failed")

        if self.config.state_file is not None:
            self.load(self.config.state_file)
        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            if self.config.state_file is not None:
                self.save(self.config.state_file)
