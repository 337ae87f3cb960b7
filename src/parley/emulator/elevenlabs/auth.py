"""`xi-api-key` authentication, answered as ElevenLabs answers it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from parley.emulator.elevenlabs.errors import ElevenLabsError


async def require_api_key(
    request: Request, xi_api_key: Annotated[str | None, Header(alias="xi-api-key")] = None
) -> str:
    if not xi_api_key:
        raise ElevenLabsError(
            401,
            "needs_authorization",
            "Neither authorization header nor xi-api-key received, please provide one.",
        )
    allowed = request.app.state.emu.config.elevenlabs_api_keys
    if allowed is not None and xi_api_key not in allowed:
        raise ElevenLabsError(401, "invalid_api_key", "Invalid API key")
    return xi_api_key


ApiKey = Annotated[str, Depends(require_api_key)]
