"""Provider errors: one family, messages a person can act on, nothing secret."""

from __future__ import annotations

import httpx

from parley.providers import errors


def response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("GET", "http://p", headers={"xi-api-key": "sk_secret"})
    return httpx.Response(status, json=body, headers=headers, request=request)


def test_elevenlabs_auth_error_names_the_code() -> None:
    body = {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}
    error = errors.from_response("elevenlabs", response(401, body), "list agents")
    assert isinstance(error, errors.ProviderAuthError)
    assert error.message == "ElevenLabs rejected the API key (401 invalid_api_key): Invalid API key"
    assert "sk_secret" not in str(error.to_body())
    assert not error.retryable


def test_rate_limit_carries_retry_after() -> None:
    body = {"detail": {"status": "too_many_concurrent_requests", "message": "busy"}}
    error = errors.from_response("elevenlabs", response(429, body, {"Retry-After": "7"}), "x")
    assert isinstance(error, errors.ProviderRateLimited)
    assert error.retry_after == 7
    assert error.retryable
    assert "retry after 7 s" in error.message


def test_ultravox_drf_shapes() -> None:
    missing = errors.from_response(
        "ultravox", response(404, {"detail": "Not found."}), "get call c1"
    )
    assert missing.message == "Ultravox could not get call c1: not found (404)"
    invalid = errors.from_response(
        "ultravox", response(400, {"maxDuration": ["Invalid duration."]}), "create agent"
    )
    assert isinstance(invalid, errors.ProviderRejected)
    assert "maxDuration: Invalid duration." in invalid.message


def test_validation_list_and_server_errors() -> None:
    body = {"detail": [{"loc": ["body", "name"], "msg": "field required", "type": "missing"}]}
    rejected = errors.from_response("elevenlabs", response(422, body), "create agent")
    assert rejected.message.endswith("(422 validation_error): name: field required")
    down = errors.from_response("elevenlabs", response(503, {}), "create agent")
    assert isinstance(down, errors.ProviderUnavailable)
    assert down.retryable


def test_retry_after_as_http_date() -> None:
    assert errors.retry_after_seconds(response(429, {}, {"Retry-After": "garbage"})) is None
    past = errors.retry_after_seconds(
        response(429, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    )
    assert past == 0.0
