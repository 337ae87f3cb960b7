"""What each emulated provider plugs into the emulator: its app, state, error shape and hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from fastapi import FastAPI
from pydantic import BaseModel

if TYPE_CHECKING:
    from parley.emulator.state import Emulator


class EmulatedProvider(Protocol):
    @property
    def name(self) -> str:
        """ "elevenlabs" or "ultravox": also the mount prefix."""

    @property
    def state_type(self) -> type[BaseModel]: ...

    def create_app(self, emu: Emulator) -> FastAPI: ...

    def error_body(self, status: int, code: str, message: str) -> dict[str, Any]: ...

    async def on_tick(self, emu: Emulator) -> None:
        """Move time-driven work forward (calls ending, batch schedules, index builds)."""

    async def end_call(self, emu: Emulator, call_id: str) -> bool:
        """End a live call or conversation now; False when the id is unknown."""

    async def simulate(self, emu: Emulator, request: dict[str, Any]) -> dict[str, Any]:
        """Run simulated conversations (see `/_emulator/simulate`)."""

    def seed(self, emu: Emulator, fixtures: dict[str, Any]) -> None:
        """Load fixture data (voices, phone numbers, ...)."""
