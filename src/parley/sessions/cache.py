"""A small per-process, per-database cache for the start path's near-static lookups.

Which Parley agent a remote agent belongs to, and the provider ids of an applied version, only
change when an agent is applied again, so the inbound webhook (which runs while the phone
rings) reads them at most once per `TTL_S` per process. The routing decision itself (which
version is live, later which arm) is never cached here. Entries are kept per engine, so several
databases in one process (tests, benchmarks) never see each other's rows.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
TTL_S = 5.0
MAX_ENTRIES = 4096
_BY_ENGINE: WeakKeyDictionary[Any, dict[Hashable, tuple[float, Any]]] = WeakKeyDictionary()


async def cached(session: AsyncSession, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
    """`load()`'s value for `key` on this session's database, reused for `TTL_S` seconds."""
    engine = session.get_bind()
    entries = _BY_ENGINE.setdefault(engine, {})
    now = time.monotonic()
    hit = entries.get(key)
    if hit is not None and hit[0] > now:
        value: T = hit[1]
        return value
    value = await load()
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    entries[key] = (now + TTL_S, value)
    return value


def clear() -> None:
    _BY_ENGINE.clear()
