"""ElevenLabs' error answers: `{"detail": {"status": code, "message": text}}`; 422 as FastAPI's."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


class ElevenLabsError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def not_found(thing: str, ident: str) -> ElevenLabsError:
    """404 `<thing>_not_found`, as ElevenLabs answers for a missing agent, branch, voice..."""
    return ElevenLabsError(
        404, f"{thing}_not_found", f"{thing.replace('_', ' ')} {ident} not found"
    )


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"detail": {"status": code, "message": message}}


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ElevenLabsError)
    return JSONResponse(
        error_body(exc.status, exc.code, exc.message), status_code=exc.status, headers=exc.headers
    )


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
    return JSONResponse(error_body(exc.status_code, code, str(exc.detail)), exc.status_code)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ElevenLabsError, _handle)
    app.add_exception_handler(HTTPException, _http)
