"""Ultravox's error answers, in Django REST framework's shapes.

`{"detail": "..."}` for authentication, missing resources and throttling; validation errors map
each field to a list of messages (`{"field": ["..."]}`). Ultravox does not document its error
bodies; these are DRF's conventions (see the contract reference, section 11).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


class UltravoxError(Exception):
    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail
        self.headers = headers


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"detail": message}


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UltravoxError)
    body = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = {404: "Not found.", 405: f'Method "{request.method}" not allowed.'}.get(
        exc.status_code, str(exc.detail)
    )
    return JSONResponse({"detail": detail}, status_code=exc.status_code)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = [str(p) for p in error["loc"] if p not in ("body", "query", "path")]
        fields.setdefault(".".join(loc) or "non_field_errors", []).append(error["msg"])
    return JSONResponse(fields, status_code=400)


def install(app: FastAPI) -> None:
    app.add_exception_handler(UltravoxError, _handle)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
