"""Every error the API answers has one body: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from parley.errors import ParleyError, error_body

logger = logging.getLogger("parley.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


async def _parley_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ParleyError)
    # Only bearer-token failures invite a bearer token (webhooks authenticate by signature).
    headers = {"WWW-Authenticate": "Bearer"} if exc.code == "unauthorized" else None
    return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=headers)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems: list[dict[str, Any]] = [
        {"path": ".".join(str(p) for p in err["loc"]), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    first = problems[0] if problems else {"path": "", "message": "invalid request"}
    message = f"invalid request: {first['path']}: {first['message']}"
    return JSONResponse(
        error_body("invalid_input", message, {"problems": problems}), status_code=422
    )


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # Never the exception's text: it may hold data from the request or the database.
    logger.exception("unexpected error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal error"), status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(ParleyError, _parley_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
