"""The ElevenLabs provider as the emulator core sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from parley.emulator.elevenlabs import errors, lifecycle, routes, simulate
from parley.emulator.elevenlabs.state import ElevenLabsState

if TYPE_CHECKING:
    from parley.emulator.state import Emulator


class ElevenLabsProvider:
    name = "elevenlabs"
    state_type = ElevenLabsState

    def create_app(self, emu: Emulator) -> FastAPI:
        return routes.create_app(emu)

    def error_body(self, status: int, code: str, message: str) -> dict[str, Any]:
        return errors.error_body(status, code, message)

    async def on_tick(self, emu: Emulator) -> None:
        await lifecycle.tick(emu)

    async def end_call(self, emu: Emulator, call_id: str) -> bool:
        return await lifecycle.end_call(emu, call_id)

    async def simulate(self, emu: Emulator, request: dict[str, Any]) -> dict[str, Any]:
        return simulate.simulate(emu, request)

    def seed(self, emu: Emulator, fixtures: dict[str, Any]) -> None:
        lifecycle.seed(emu, fixtures)
