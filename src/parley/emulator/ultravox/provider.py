"""The Ultravox provider as the emulator core sees it: app, state, error shape and hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from parley.emulator.ultravox import errors, lifecycle, routes, sessions, voices
from parley.emulator.ultravox import simulate as simulation
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
        """End calls past their joinTimeout (`unjoined`) or maxDuration (`timeout`)."""
        await lifecycle.on_tick(emu)

    async def end_call(self, emu: Emulator, call_id: str) -> bool:
        """End a live call as if the agent hung up; fires call.ended then call.billed."""
        call = lifecycle.state(emu).calls.get(call_id)
        if call is None or not lifecycle.is_live(call):
            return False
        if call.joined is None:
            lifecycle.end(emu, call, "unjoined")
        else:
            lifecycle.end(emu, call, "agent_hangup")
        await sessions.close(emu, call_id)
        return True

    async def simulate(self, emu: Emulator, request: dict[str, Any]) -> dict[str, Any]:
        return await simulation.simulate(emu, request)

    def seed(self, emu: Emulator, fixtures: dict[str, Any]) -> None:
        """Fixtures: `{"voices": [{"name": ..., "primary_language": ..., ...}]}`."""
        voices.seed(emu, list(fixtures.get("voices") or []))
