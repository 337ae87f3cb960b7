"""Concurrent deliveries share a transaction, each answered with its own id, once committed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.db.base import utcnow
from parley.models import Job, WebhookEvent
from parley.webhooks.intake import GroupCommit, Stored
from parley.webhooks.service import PROCESS


def row(key: str, provider: str = "elevenlabs") -> dict[str, Any]:
    return {
        "provider": provider,
        "event_type": "post_call_transcription",
        "dedupe_key": key,
        "remote_id": key,
        "status": "pending",
        "body": "{}",
        "scrubbed": False,
        "received_at": utcnow(),
        "processed_at": None,
    }


async def counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        events = await conn.scalar(select(func.count()).select_from(WebhookEvent))
        jobs = await conn.scalar(select(func.count()).select_from(Job))
    return int(events or 0), int(jobs or 0)


async def test_concurrent_stores_share_transactions(engine: AsyncEngine) -> None:
    intake = GroupCommit(engine, PROCESS)
    keys = [f"k{i}" for i in range(60)]
    # Every key twice, and the same key for another provider: 180 stores at once.
    calls = [intake.store(row(k), job=True) for k in keys]
    calls += [intake.store(row(k), job=True) for k in keys]
    calls += [intake.store(row(k, "ultravox"), job=False) for k in keys]
    results = await asyncio.gather(*calls)
    assert intake.batches < len(calls)  # grouped
    el_first, el_again, uv = results[:60], results[60:120], results[120:]
    assert not any(r.duplicate for r in el_first)
    assert all(r.duplicate for r in el_again)
    assert [r.event_id for r in el_again] == [r.event_id for r in el_first]
    assert not any(r.duplicate for r in uv)
    assert len({r.event_id for r in el_first + uv}) == 120
    assert await counts(engine) == (120, 60)  # jobs only where asked, once per event
    again = await intake.store(row("k0"), job=True)
    assert again == Stored(el_first[0].event_id, duplicate=True)
    assert await counts(engine) == (120, 60)


async def test_a_bad_row_fails_alone(engine: AsyncEngine) -> None:
    intake = GroupCommit(engine, PROCESS)
    bad = {**row("bad"), "status": None}  # NOT NULL
    calls = [intake.store(row(f"ok{i}"), job=True) for i in range(10)]
    calls.insert(5, intake.store(bad, job=True))
    results = await asyncio.gather(*calls, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1
    assert results[5] is failed[0]
    assert await counts(engine) == (10, 10)
    with pytest.raises(IntegrityError):
        await intake.store(bad, job=True)


async def test_a_cancelled_writer_still_commits_the_rows_it_took(engine: AsyncEngine) -> None:
    """Cancelling the request that writes a batch (a client gone) stores the batch anyway,
    and the other requests in it get their answers."""
    intake = GroupCommit(engine, PROCESS)
    write = intake._write
    started: asyncio.Queue[asyncio.Event] = asyncio.Queue()
    batches = 0

    async def slow(batch: list[Any]) -> None:  # each batch waits for its own gate
        nonlocal batches
        batches += 1
        gate = asyncio.Event()
        started.put_nowait(gate)
        await gate.wait()
        await write(batch)

    intake._write = slow  # type: ignore[method-assign]
    first = asyncio.create_task(intake.store(row("x"), job=True))
    gate = await started.get()
    writer = asyncio.create_task(intake.store(row("a"), job=True))
    waiter = asyncio.create_task(intake.store(row("b"), job=True))
    await asyncio.sleep(0)
    gate.set()  # batch [x] commits; `writer` takes [a, b]
    await first
    gate = await started.get()
    writer.cancel()
    await asyncio.sleep(0)
    gate.set()
    stored = await waiter
    assert not stored.duplicate
    with pytest.raises(asyncio.CancelledError):
        await writer
    assert batches == 2  # no third transaction: [a, b] was written once
    assert await counts(engine) == (3, 3)
