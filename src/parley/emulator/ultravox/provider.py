"""The Ultravox provider as the emulator core sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from parley.emulator.ultravox import errors, routes
from parley.emulator.ultravox.state import UltravoxState

if TYPE_CHECKING:
    from parley.emulator.state import Emulator


class UltravoxProvider:
    name = "ultravox"
    state_type = UltravoxState

    def create_app(self, emu: Emulator) -> FastAPI:
        return routes.create_app(emu)

    def error_body(self, status: int, code: str, message: str) -> dict[str, Any]:
        return errors.error_body(status, code, message)

    async def on_tick(self, emu: Emulator) -> None:
        return None

    async def end_call(self, emu: Emulator, call_id: str) -> bool:
        return False

    async def simulate(self, emu: Emulator, request: dict[str, Any]) -> dict[str, Any]:
        return {"conversations": []}

    def seed(self, emu: Emulator, fixtures: dict[str, Any]) -> None:
        return None
