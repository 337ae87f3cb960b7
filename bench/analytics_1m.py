"""Analytics for one agent over one million stored conversations: rollups against raw rows.

Loads --rows conversations (default 1,000,000) for agent `bench` spread evenly over the --days
(default 90) UTC days up to now, plus --other-rows (default 100,000) for two other agents, in
bulk (SQLAlchemy Core executemany, 20,000 rows a batch) into a freshly migrated database. Each
conversation gets a version (1 to 4, newer versions in later days), a provider (70 % ElevenLabs
with a cost in credits, 30 % Ultravox with a cost in seconds), an outcome, a duration, a
termination reason, two turns (the agent's with LLM and TTS latency and 0 to 2 tool calls) and
three data-collection labels (boolean, number, text). The migration's triggers mark every
(agent, day) dirty as rows arrive; then the rollups are built once (`rollups.refresh_all`,
timed) and these queries are timed, each --runs times (median and p95):

    whole days      the 90 whole UTC days up to today's midnight: rollups only
    API default     the API's default range, midnight UTC 30 days ago up to now: rollups only
                    (nothing has started later today, so today's rollup is exact)
    720 h to now    now - 30 x 24 h up to now: rollups plus the raw rows of the partial day
                    at the start
    by day          whole days, grouped by day (90 groups)
    one day dirty   whole days, after one new conversation was stored today (the steady
                    state when conversations keep arriving: one day recomputed per query)
    over HTTP       whole days, GET /api/v1/analytics through the real app (ASGI transport)
    raw baseline    whole days from the raw rows only (`use_rollups=False`, --raw-runs times)

"warm" runs reuse one engine and its pooled connection; "cold" runs open a new engine (a new
connection, empty caches in the process) for every run. The raw baseline and the rollup query
are checked to agree (counts exactly, percentiles within the histogram's bound), so a fast but
wrong answer fails loudly. Goal: under 200 ms.

Run from the repository root:

    .venv/bin/python bench/analytics_1m.py                   # SQLite, 1M rows
    .venv/bin/python bench/analytics_1m.py --rows 100000     # a smaller run
    .venv/bin/python bench/analytics_1m.py --no-sqlite \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/parley_bench_analytics

With --postgres, the database named in the URL is created with `psql -d test` on that server
(dropped first if it exists, and dropped again afterwards unless --keep). Prints Markdown
tables and writes bench/results/analytics_1m.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import _common
from parley.analytics import rollups, service
from parley.analytics.routes import default_range
from parley.analytics.sketch import RELATIVE_ERROR
from parley.config import settings_with
from parley.conversations import service as conversations
from parley.conversations.schemas import ConversationRecord
from parley.db import migrate
from parley.db.engine import create_engine, session_factory, session_scope
from parley.models import Agent

AGENT = "bench"
BATCH = 20_000
TOOLS = ["lookup_order", "book_meeting", "transfer_call", "send_sms"]
REASONS = ["end_call", "hangup", "timeout", "transfer", "error"]
INTEREST = ["high", "medium", "low", "none", "unsure"]


def _rows(
    rng: random.Random, agent_id: int, first: int, count: int, start: datetime, span: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Conversation, turn and label rows for ids first .. first + count - 1."""
    convs, turns, labels = [], [], []
    created = datetime.now(UTC)
    for cid in range(first, first + count):
        offset = rng.random() * span
        started = start + timedelta(seconds=offset)
        version = min(4, 1 + int(offset / span * 4 + rng.random() * 0.5))
        eleven = rng.random() < 0.7
        roll = rng.random()
        successful = True if roll < 0.6 else False if roll < 0.85 else None
        duration = round(rng.lognormvariate(4.5, 0.8), 2)
        convs.append(
            {
                "id": cid,
                "provider": "elevenlabs" if eleven else "ultravox",
                "remote_id": f"b{cid}",
                "agent_id": agent_id,
                "version_number": version,
                "channel": "phone",
                "direction": "inbound",
                "started_at": started,
                "ended_at": started + timedelta(seconds=duration),
                "duration_s": duration,
                "status": "done",
                "termination_reason": rng.choice(REASONS),
                "cost": round(duration * (3.3 if eleven else 1.0), 1),
                "cost_unit": "credits" if eleven else "seconds",
                "successful": successful,
                "normaliser_version": 1,
                "evaluation": {},
                "data_collection": {},
                "dynamic_variables": {},
                "metadata": {},
                "has_audio": False,
                "raw": {},
                "fingerprint": "",
                "created_at": created,
                "updated_at": created,
            }
        )
        calls = [{"id": str(i), "name": rng.choice(TOOLS)} for i in range(rng.choice([0, 0, 1, 2]))]
        latency = (
            {
                "llm": round(rng.lognormvariate(-1.2, 0.4), 3),
                "tts": round(rng.uniform(0.05, 0.3), 3),
            }
            if eleven
            else {}
        )
        turns.append(
            {"conversation_id": cid, "position": 0, "role": "agent", "text": "Hello.",
             "interrupted": False, "tool_calls": calls, "tool_results": [], "latency": latency}
        )  # fmt: skip
        turns.append(
            {"conversation_id": cid, "position": 1, "role": "user", "text": "I'd like to book.",
             "interrupted": False, "tool_calls": [], "tool_results": [], "latency": {}}
        )  # fmt: skip
        labels.append(
            {"conversation_id": cid, "key": "data.booked", "value": rng.choice(["true", "false"])}
        )
        labels.append(
            {"conversation_id": cid, "key": "data.score", "value": str(rng.randint(1, 10))}
        )
        labels.append(
            {"conversation_id": cid, "key": "data.interest", "value": rng.choice(INTEREST)}
        )
    return convs, turns, labels


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # SQLAlchemy's SQLite format, in UTC (see UTCDateTime)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return json.dumps(value) if isinstance(value, dict | list) else value


async def _bulk(conn: AsyncConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows with the driver itself: executemany on SQLite, COPY on PostgreSQL (the
    triggers still fire per row, as for any write)."""
    columns = list(rows[0])
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    if conn.dialect.name == "postgresql":
        records = [
            tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row.values())
            for row in rows
        ]
        await driver.copy_records_to_table(table, records=records, columns=columns)
        return
    marks = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    await driver.executemany(statement, [tuple(map(_sqlite_value, r.values())) for r in rows])


async def load(engine: AsyncEngine, rows: int, other_rows: int, days: int) -> dict[str, Any]:
    """Migrate, create the agents, bulk-insert the conversations; timings in seconds."""
    began = time.perf_counter()
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    async with session_scope(sessions) as session:
        agents = [Agent(name=n, current_version=4) for n in (AGENT, "other-a", "other-b")]
        session.add_all(agents)
        await session.flush()
        ids = [a.id for a in agents]
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days - 1)
    rng = random.Random(1_000_000)
    span = (datetime.now(UTC) - start).total_seconds()  # up to now: today is partly there
    plan = [(ids[0], rows), (ids[1], other_rows // 2), (ids[2], other_rows - other_rows // 2)]
    next_id = 1
    for agent_id, count in plan:
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            convs, turns, labels = _rows(rng, agent_id, next_id, size, start, span)
            async with engine.begin() as conn:
                await _bulk(conn, "conversations", convs)
                await _bulk(conn, "conversation_turns", turns)
                await _bulk(conn, "conversation_labels", labels)
            done += size
            next_id += size
            print(f"\r  loaded {next_id - 1:,} conversations", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence('conversations', 'id'), :n)"),
                {"n": next_id - 1},
            )
            await conn.execute(text("ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
    loaded = time.perf_counter() - began
    began = time.perf_counter()
    async with session_scope(sessions) as session:
        buckets = await rollups.refresh_all(session)
    built = time.perf_counter() - began
    return {"load_s": loaded, "rollup_build_s": built, "buckets": buckets, "today": today}


def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "runs": len(samples),
        "median_ms": _common.median(samples) * 1000,
        "p95_ms": _common.percentile(samples, 95) * 1000,
    }


async def _time(call: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - began)
    return samples


def _agree(fast: Any, raw: Any) -> None:
    """The rollup answer equals the raw one: counts exactly, percentiles within the bound."""
    assert len(fast.groups) == len(raw.groups) == 1, (fast.groups, raw.groups)
    a, b = fast.groups[0], raw.groups[0]
    assert (a.conversations, a.successful, a.failed) == (b.conversations, b.successful, b.failed)
    assert a.termination_reasons == b.termination_reasons
    assert a.tool_usage == b.tool_usage
    for p in ("p50", "p90", "p99"):
        for ours, exact in ((a.duration_s, b.duration_s), (a.latency_s, b.latency_s)):
            x, y = getattr(ours, p), getattr(exact, p)
            assert math.isclose(x, y, rel_tol=RELATIVE_ERROR * 2.01), (p, x, y)
    for ours, theirs in zip(a.costs, b.costs, strict=True):
        assert ours.conversations == theirs.conversations
        assert math.isclose(ours.total, theirs.total, rel_tol=1e-9)


async def measure(url: str, runs: int, raw_runs: int, info: dict[str, Any]) -> dict[str, Any]:
    today: datetime = info["today"]
    first = today - timedelta(days=info["days"] - 1)
    whole = {"agent": AGENT, "since": first, "until": today + timedelta(days=1)}
    results: dict[str, Any] = {}

    engine = create_engine(url)
    sessions = session_factory(engine)

    async def query(**kw: Any) -> Any:
        async with session_scope(sessions) as session:
            return await service.summarise(session, **{**whole, **kw})

    since, until = default_range(None, None)
    default = {"since": since, "until": until}
    now = datetime.now(UTC)
    hours = {"since": now - timedelta(days=30), "until": now}
    await query()  # the pool's connection, untimed
    results["whole days, warm"] = _stats(await _time(query, runs))
    results["API default range (30 days + today to now), warm"] = _stats(
        await _time(lambda: query(**default), runs)
    )
    results["now - 720 h to now (a raw partial day), warm"] = _stats(
        await _time(lambda: query(**hours), runs)
    )
    results["whole days by day, warm"] = _stats(await _time(lambda: query(group_by="day"), runs))

    rng = random.Random(7)

    async def dirty_then_query() -> float:
        async with session_scope(sessions) as session:
            record = ConversationRecord(
                provider="elevenlabs",
                remote_id=f"new-{rng.getrandbits(64)}",
                normaliser_version=1,
                agent_hint=AGENT,
                version_hint=4,
                started_at=datetime.now(UTC),
                status="done",
                duration_s=95.0,
                successful=True,
            )
            await conversations.store(session, record, caller_key=b"k")
        began = time.perf_counter()
        await query()
        return time.perf_counter() - began

    results["whole days, today dirty (one day recomputed), warm"] = _stats(
        [await dirty_then_query() for _ in range(runs)]
    )
    fast = await query()
    raw_samples = []
    for _ in range(raw_runs):
        began = time.perf_counter()
        raw = await query(use_rollups=False)
        raw_samples.append(time.perf_counter() - began)
    _agree(fast, raw)
    results["raw baseline (whole days, no rollups), warm"] = _stats(raw_samples)
    await engine.dispose()

    async def cold() -> None:
        fresh = create_engine(url)
        try:
            async with session_scope(session_factory(fresh)) as session:
                await service.summarise(session, **whole)
        finally:
            await fresh.dispose()

    results["whole days, cold (new engine each run)"] = _stats(await _time(cold, runs))
    results["over HTTP, whole days, warm"] = await _http(url, whole, runs)
    return results


async def _http(url: str, whole: dict[str, Any], runs: int) -> dict[str, float]:
    import httpx

    from parley.app import create_app
    from parley.tokens import service as tokens

    with tempfile.TemporaryDirectory() as data_dir:
        settings = settings_with(
            database_url=url, data_dir=Path(data_dir), sync_interval_s=0, retention_interval_s=0
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            async with session_scope(app.state.sessions) as session:
                created = await tokens.create(session, "bench", actor="bench")
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://parley.test",
                headers={"Authorization": f"Bearer {created.token}"},
            ) as client:
                params = {
                    "agent": AGENT,
                    "since": whole["since"].isoformat(),
                    "until": whole["until"].isoformat(),
                }

                async def get() -> None:
                    answer = await client.get("/api/v1/analytics", params=params)
                    assert answer.status_code == 200, answer.text

                await get()
                return _stats(await _time(get, runs))


def _psql(admin_db: str, url: str, statement: str) -> None:
    parsed = make_url(url)
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_db, "-c", statement]
    cmd += ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    cmd += ["-U", parsed.username or "postgres"]
    subprocess.run(cmd, check=True)


async def run(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"{label}: loading {args.rows:,} + {args.other_rows:,} conversations", file=sys.stderr)
    engine = create_engine(url)
    try:
        info = await load(engine, args.rows, args.other_rows, args.days)
    finally:
        await engine.dispose()
    info["days"] = args.days
    print(
        f"{label}: loaded in {info['load_s']:.1f} s, rollups built in "
        f"{info['rollup_build_s']:.1f} s ({info['buckets']} agent-days)",
        file=sys.stderr,
    )
    timings = await measure(url, args.runs, args.raw_runs, info)
    return {
        "load_s": round(info["load_s"], 1),
        "rollup_build_s": round(info["rollup_build_s"], 1),
        "agent_days": info["buckets"],
        "queries": timings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="conversations of the agent")
    parser.add_argument("--other-rows", type=int, default=100_000, help="of two other agents")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query")
    parser.add_argument("--raw-runs", type=int, default=3, help="timed runs of the baseline")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    parser.add_argument("--pg-admin-db", default="test", help="database psql connects to")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()

    machine = _common.machine()
    results: dict[str, Any] = {"machine": machine, "args": vars(args), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="parley-analytics-") as tmp:
        if not args.no_sqlite:
            path = Path(tmp) / "bench.db"
            url = f"sqlite+aiosqlite:///{path}"
            results["runs"]["sqlite"] = asyncio.run(run("sqlite", url, args))
            if args.keep:
                kept = _common.RESULTS / "analytics_1m.db"
                kept.parent.mkdir(parents=True, exist_ok=True)
                path.replace(kept)
                print(f"kept {kept}", file=sys.stderr)
        if args.postgres:
            name = make_url(args.postgres).database
            _psql(args.pg_admin_db, args.postgres, f'DROP DATABASE IF EXISTS "{name}"')
            _psql(args.pg_admin_db, args.postgres, f'CREATE DATABASE "{name}"')
            try:
                results["runs"]["postgresql"] = asyncio.run(run("postgresql", args.postgres, args))
            finally:
                if not args.keep:
                    _psql(args.pg_admin_db, args.postgres, f'DROP DATABASE IF EXISTS "{name}"')

    print(_common.machine_line(machine))
    for database, run_result in results["runs"].items():
        print(
            f"\n### {database}: {args.rows:,} + {args.other_rows:,} conversations, "
            f"loaded in {run_result['load_s']} s, rollups built in "
            f"{run_result['rollup_build_s']} s\n"
        )
        queries = run_result["queries"]
        baseline = queries["raw baseline (whole days, no rollups), warm"]["median_ms"]
        rows = [
            [
                name,
                str(q["runs"]),
                f"{q['median_ms']:.1f}",
                f"{q['p95_ms']:.1f}",
                f"{baseline / q['median_ms']:.0f}x",
            ]
            for name, q in queries.items()
        ]
        headers = ["query", "runs", "median ms", "p95 ms", "raw / this"]
        print(_common.table(headers, rows))
    print(f"\nwrote {_common.write_json('analytics_1m.json', results)}")


if __name__ == "__main__":
    main()
