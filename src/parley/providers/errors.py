"""One error family for everything a provider answers or fails to answer.

Messages say what happened in words a person can act on ("ElevenLabs rejected the API key (401
invalid_api_key)"), name the provider, keep its status and machine code, and never carry request
headers, keys or conversation text.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from parley.errors import ParleyError

PROVIDER_NAMES = {"elevenlabs": "ElevenLabs", "ultravox": "Ultravox"}


class ProviderError(ParleyError):
    status_code: ClassVar[int] = 502
    code: ClassVar[str] = "provider_error"

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        provider_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        details: dict[str, Any] = {"provider": provider}
        if status is not None:
            details["status"] = status
        if provider_code:
            details["provider_code"] = provider_code
        super().__init__(message, details=details)
        self.provider = provider
        self.status = status
        self.provider_code = provider_code
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        status = self.status
        return status is None or status >= 500 or status in (408, 429)


class ProviderAuthError(ProviderError):
    code = "provider_auth_failed"


class ProviderNotFound(ProviderError):
    status_code = 404
    code = "provider_not_found"


class ProviderRejected(ProviderError):
    """The provider refused the request as invalid (4xx other than auth, 404 and 429)."""

    status_code = 422
    code = "provider_rejected"


class ProviderRateLimited(ProviderError):
    status_code = 429
    code = "provider_rate_limited"


class ProviderUnavailable(ProviderError):
    """5xx, timeouts, connection failures, or the circuit breaker is open."""

    status_code = 503
    code = "provider_unavailable"


def display(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


def _body_code_and_message(response: httpx.Response) -> tuple[str | None, str | None]:
    """ElevenLabs: {"detail": {"status", "message"}} or FastAPI's 422 list; Ultravox (DRF):
    {"detail": "..."} or {"field": ["..."]}."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    detail = body.get("detail")
    if isinstance(detail, dict):
        return _str(detail.get("status")), _str(detail.get("message"))
    if isinstance(detail, str):
        return None, detail
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        where = ".".join(str(p) for p in first.get("loc", []) if p != "body")
        return "validation_error", f"{where}: {first.get('msg', '')}".strip(": ")
    fields = [f"{k}: {v[0]}" for k, v in body.items() if isinstance(v, list) and v]
    return ("validation_error", "; ".join(fields)) if fields else (None, None)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` as seconds (number or HTTP date), or None."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def from_response(provider: str, response: httpx.Response, action: str) -> ProviderError:
    """The error for a non-2xx answer to `action` (e.g. "update agent agent_123")."""
    name = display(provider)
    status = response.status_code
    code, text = _body_code_and_message(response)
    label = f"{status} {code}" if code else str(status)
    reason = f": {text}" if text and code != text else ""
    kwargs: dict[str, Any] = {"status": status, "provider_code": code}
    if status in (401, 403):
        return ProviderAuthError(
            provider, f"{name} rejected the API key ({label}){reason}", **kwargs
        )
    if status == 404:
        return ProviderNotFound(
            provider, f"{name} could not {action}: not found ({label})", **kwargs
        )
    if status == 429:
        wait = retry_after_seconds(response)
        hint = f"; retry after {wait:.0f} s" if wait is not None else ""
        return ProviderRateLimited(
            provider, f"{name} is rate limiting ({label}){hint}", retry_after=wait, **kwargs
        )
    if status >= 500 or status == 408:
        return ProviderUnavailable(
            provider, f"{name} failed to {action} ({label}); try again later", **kwargs
        )
    return ProviderRejected(provider, f"{name} refused to {action} ({label}){reason}", **kwargs)
