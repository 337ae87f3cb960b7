"""Injected faults: errors, latency, timeouts, lost or duplicated webhooks, WebSocket drops.

A rule applies to requests whose path matches its glob (and method, when given), at a rate and
for a number of matches. HTTP faults are applied by `FaultMiddleware` before the provider sees
the request; webhook and WebSocket faults are consulted by the code that sends or serves them.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import random
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

FaultKind = Literal[
    "http_error", "latency", "timeout", "drop_webhook", "duplicate_webhook", "ws_close"
]


class FaultRule(BaseModel):
    """One fault. `path` is a glob over the request path (webhooks: the event type or URL)."""

    id: str = ""
    kind: FaultKind
    path: str = "*"
    method: str | None = None
    status: int = Field(default=500, ge=400, le=599)
    error_code: str | None = None
    retry_after: int | None = Field(default=None, ge=0)
    latency_ms: int = Field(default=0, ge=0)
    timeout_s: float = Field(default=30.0, ge=0)
    close_code: int = Field(default=1011, ge=1000, le=4999)
    close_reason: str = ""
    after_messages: int = Field(default=0, ge=0)
    rate: float = Field(default=1.0, ge=0.0, le=1.0)
    count: int | None = Field(default=None, ge=1)
    matched: int = 0


class FaultBook:
    """The active rules; matching draws from the emulator's seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rules: list[FaultRule] = []
        self._next = 1

    def add(self, rule: FaultRule) -> FaultRule:
        rule = rule.model_copy(update={"id": rule.id or f"fault_{self._next}", "matched": 0})
        self._next += 1
        self.rules.append(rule)
        return rule

    def clear(self, rule_id: str | None = None) -> int:
        before = len(self.rules)
        self.rules = [r for r in self.rules if rule_id is not None and r.id != rule_id]
        return before - len(self.rules)

    def match(self, kind: FaultKind, path: str, method: str | None = None) -> FaultRule | None:
        """The first live rule of `kind` for `path`; counts it as used."""
        for rule in self.rules:
            if rule.kind != kind or (rule.count is not None and rule.matched >= rule.count):
                continue
            if rule.method and method and rule.method.upper() != method.upper():
                continue
            if not fnmatch.fnmatchcase(path, rule.path):
                continue
            if rule.rate < 1.0 and self.rng.random() >= rule.rate:
                continue
            rule.matched += 1
            return rule
        return None


ErrorBody = Callable[[int, str, str], dict[str, Any]]


class FaultMiddleware:
    """Applies HTTP faults; error bodies are shaped by the provider that owns the path prefix."""

    def __init__(
        self, app: ASGIApp, book: Callable[[], FaultBook], bodies: Mapping[str, ErrorBody]
    ):
        self.app = app
        self.book = book
        self.bodies = bodies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        book = self.book()
        latency = book.match("latency", path, method)
        if latency is not None:
            await asyncio.sleep(latency.latency_ms / 1000)
        timeout = book.match("timeout", path, method)
        if timeout is not None:
            await asyncio.sleep(timeout.timeout_s)
            await self._answer(send, path, 504, "gateway_timeout", "upstream timed out", None)
            return
        error = book.match("http_error", path, method)
        if error is not None:
            code = error.error_code or _default_code(error.status)
            await self._answer(send, path, error.status, code, "injected fault", error.retry_after)
            return
        await self.app(scope, receive, send)

    async def _answer(
        self, send: Send, path: str, status: int, code: str, message: str, retry_after: int | None
    ) -> None:
        shape = next((fn for prefix, fn in self.bodies.items() if path.startswith(prefix)), None)
        body = shape(status, code, message) if shape else {"detail": message}
        raw = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(raw))]
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})


def _default_code(status: int) -> str:
    return {
        429: "too_many_concurrent_requests",
        500: "internal_server_error",
        502: "bad_gateway",
        503: "service_unavailable",
        504: "gateway_timeout",
    }.get(status, "error")
