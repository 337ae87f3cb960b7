"""One error family for Parley: an HTTP status, a stable machine code, a human message, details.

Services raise these; the API turns them into `{"error": {"code", "message", "details"}}` and the
CLI prints the message and exits non-zero. Messages never carry secrets or transcript text.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ParleyError(Exception):
    """Base of every error Parley raises on purpose."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    @property
    def retryable(self) -> bool:
        """4xx is final except 408 and 429; 5xx may succeed later."""
        return self.status_code >= 500 or self.status_code in (408, 429)

    def to_body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.details)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one shape of every error answer."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


class NotFound(ParleyError):
    status_code = 404
    code = "not_found"


class Conflict(ParleyError):
    status_code = 409
    code = "conflict"


class InvalidInput(ParleyError):
    status_code = 422
    code = "invalid_input"


class Unauthorized(ParleyError):
    status_code = 401
    code = "unauthorized"


class SpecInvalid(InvalidInput):
    """An agent spec failed validation; `details["problems"]` lists every problem."""

    code = "spec_invalid"


class BadRequest(ParleyError):
    """The request could not be read at all (e.g. a body that is not JSON)."""

    status_code = 400
    code = "bad_request"


class PayloadTooLarge(ParleyError):
    status_code = 413
    code = "payload_too_large"
