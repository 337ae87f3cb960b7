"""`X-API-Key` authentication, answered in Ultravox's (DRF) shape."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from parley.emulator.ultravox.errors import UltravoxError


async def require_api_key(
    request: Request, x_api_key: Annotated[str | None, Header(alias="X-API-Key")] = None
) -> str:
    if not x_api_key:
        raise UltravoxError(403, "Authentication credentials were not provided.")
    allowed = request.app.state.emu.config.ultravox_api_keys
    if allowed is not None and x_api_key not in allowed:
        raise UltravoxError(403, "Invalid API key.")
    return x_api_key


ApiKey = Annotated[str, Depends(require_api_key)]
