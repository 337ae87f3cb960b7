"""The start path's lookup cache: per database, and only for `TTL_S` seconds."""

from __future__ import annotations

from typing import Any

import pytest

from parley.sessions import cache


class Engine:
    """Anything weak-referenceable stands in for an engine."""


class FakeSession:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get_bind(self) -> Engine:
        return self.engine


async def test_per_engine_and_expiring(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str] = []
    now = [100.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: now[0])

    async def load(value: str) -> str:
        loads.append(value)
        return value

    one, two = FakeSession(Engine()), FakeSession(Engine())
    session: Any
    for session, value in ((one, "a"), (one, "b"), (two, "c")):
        assert await cache.cached(session, "k", lambda v=value: load(v)) == (
            "a" if session is one else "c"
        )
    assert loads == ["a", "c"]
    now[0] += cache.TTL_S + 0.1
    assert await cache.cached(one, "k", lambda: load("d")) == "d"
