"""Webhook intake throughput: signed ElevenLabs post-call webhooks into a real Parley server.

The payload is the emulator's own `post_call_transcription` for a finished conversation with 20
transcript turns (built once, in-process, by simulating one conversation and taking the body
from the emulator's outbox), copied with a distinct conversation id per request and signed as
ElevenLabs signs (`ElevenLabs-Signature: t=...,v0=HMAC-SHA256`). A small asyncio HTTP/1.1 client
(keep-alive connections, one request in flight per connection) posts them concurrently to three
servers, each run by uvicorn in a subprocess (one worker, as `parley serve` runs):

    bare      an ASGI app that reads the body and answers 200 (the HTTP ceiling of this machine)
    sqlite3   a minimal durable endpoint: checks the HMAC, inserts the raw body with the
              standard sqlite3 module, one commit per request (WAL, synchronous=NORMAL, as
              Parley's default), then answers 200
    parley    `parley serve` on a fresh database (`parley db upgrade` first); the in-process
              job runner is off, so only the intake is measured (the events and their jobs
              are stored, not processed)

Every answer must be 200 and, for Parley, every event must be stored once with its job (counted
in the database afterwards), so a fast but wrong run fails loudly. Goal: Parley on SQLite at
least 1/4 of the sqlite3 endpoint's rate.

Run from the repository root:

    .venv/bin/python bench/webhook_ingest.py                       # SQLite, 3 rounds
    .venv/bin/python bench/webhook_ingest.py --requests 4000 --concurrency 32
    .venv/bin/python bench/webhook_ingest.py \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/parley_bench

With --postgres, Parley also runs on a fresh PostgreSQL database (created and dropped with psql,
as bench/plan_apply.py does). Prints a Markdown table and writes bench/results/webhook_ingest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import ROOT, machine, machine_line, median, percentile, table, tool, write_json
from _servers import cpu_seconds, free_port, raise_open_files, server

SECRET = "bench-webhook-secret-0123456789"
PATH = "/webhooks/elevenlabs"
GOAL_RATIO = 0.25
USER_TURNS = 10  # the emulator writes one agent reply per user line: 20 turns

# ---------------------------------------------------------------------------------------------
# Baseline servers (imported by uvicorn from this file: `webhook_ingest:bare_app`)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
OK = b'{"status":"stored"}'


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def bare_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the body and answers 200: no check, nothing stored."""
    if scope["type"] != "http":
        return
    await _read_body(receive)
    await _answer(send, 200, OK)


_DB: sqlite3.Connection | None = None


def _db() -> sqlite3.Connection:
    global _DB
    if _DB is None:
        _DB = sqlite3.connect(os.environ["BENCH_SQLITE"], isolation_level=None)
        _DB.execute("PRAGMA journal_mode=WAL")
        _DB.execute("PRAGMA synchronous=NORMAL")
        _DB.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
        )
    return _DB


def signature_ok(body: bytes, header: str, secret: str, now: float) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = parts.get("t", ""), parts.get("v0", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > 1800:
        return False
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest, given)


async def sqlite3_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Checks the signature, inserts the raw body and commits, then answers 200."""
    if scope["type"] != "http":
        return
    body = await _read_body(receive)
    if scope["method"] != "POST":  # the readiness probe
        await _answer(send, 200, OK)
        return
    headers = dict(scope["headers"])
    if not signature_ok(
        body, headers.get(b"elevenlabs-signature", b"").decode(), SECRET, time.time()
    ):
        await _answer(send, 401, b'{"error":"bad signature"}')
        return
    db = _db()
    db.execute("BEGIN")
    db.execute("INSERT INTO events (body) VALUES (?)", (body.decode("utf-8"),))
    db.execute("COMMIT")
    await _answer(send, 200, OK)


# ---------------------------------------------------------------------------------------------
# The payload: the emulator's own post_call_transcription with 20 turns


async def _emulated_body() -> tuple[str, str]:
    import httpx

    from parley.emulator.app import create_emulator_app
    from parley.emulator.config import EmulatorConfig

    app = create_emulator_app(EmulatorConfig(seed=7, public_url="http://emulator.test"))
    key = {"xi-api-key": "bench"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http:
        base = "/elevenlabs/v1"
        agent = await http.post(
            f"{base}/convai/agents/create",
            headers=key,
            json={
                "name": "Bench support agent",
                "conversation_config": {
                    "agent": {
                        "first_message": "",
                        "language": "en",
                        "prompt": {"prompt": "You help customers of Ledgerly with billing."},
                    }
                },
            },
        )
        agent.raise_for_status()
        hook = await http.post(
            f"{base}/workspace/webhooks",
            headers=key,
            json={"settings": {"name": "parley", "webhook_url": "http://parley.test" + PATH}},
        )
        hook.raise_for_status()
        settings = {"post_call_webhook_id": hook.json()["webhook_id"], "events": ["transcript"]}
        (
            await http.patch(f"{base}/convai/settings", headers=key, json={"webhooks": settings})
        ).raise_for_status()
        options = {
            "agent_id": agent.json()["agent_id"],
            "count": 1,
            "outcome": {"p_success": 0.0, "user_turns": USER_TURNS},
        }
        simulated = await http.post(
            "/_emulator/simulate", json={"provider": "elevenlabs", "options": options}
        )
        simulated.raise_for_status()
    delivery = app.state.emu.outbox.deliveries[-1]
    conversation_id = simulated.json()["conversations"][0]["conversation_id"]
    return delivery.body, conversation_id


def emulated_payload() -> tuple[str, str]:
    """The body of the emulator's post_call_transcription webhook and its conversation id."""
    body, conversation_id = asyncio.run(_emulated_body())
    turns = len(json.loads(body)["data"]["transcript"])
    if turns != 2 * USER_TURNS:
        raise SystemExit(f"the emulated transcript has {turns} turns, not {2 * USER_TURNS}")
    return body, conversation_id


def distinct_bodies(template: str, conversation_id: str, count: int, tag: str) -> list[bytes]:
    """`count` copies of the payload, each with its own conversation id of the same length."""
    out = []
    for i in range(count):
        suffix = f"{tag}{i:07d}"
        new_id = conversation_id[: len(conversation_id) - len(suffix)] + suffix
        out.append(template.replace(conversation_id, new_id).encode())
    return out


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"ElevenLabs-Signature": f"t={stamp},v0={digest}", "Content-Type": "application/json"}


# ---------------------------------------------------------------------------------------------
# The load: keep-alive HTTP/1.1 connections on asyncio streams, one request in flight on each


@dataclass
class Outcome:
    index: int
    status: int | None  # None: no answer (connection refused, reset or cut)
    latency_s: float
    body: bytes = b""


@dataclass
class Load:
    outcomes: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def ok(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is not None and 200 <= o.status < 300]


def _request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    length = 0
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length) if length else b""


async def post_all(
    port: int,
    bodies: list[bytes],
    concurrency: int,
    *,
    path: str = PATH,
    secret: str = SECRET,
    on_answer: Callable[[Outcome], None] | None = None,
) -> Load:
    """POST every body once, `concurrency` at a time; a connection that fails is reopened
    for the next request, and the failed request is recorded without an answer."""
    host = "127.0.0.1"
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(bodies)):
        queue.put_nowait(i)
    load = Load()

    async def worker() -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                reader, writer = conn
                writer.write(_request(host, port, path, bodies[i], signed(bodies[i], secret)))
                await writer.drain()
                status, answer = await _read_answer(reader)
                outcome = Outcome(i, status, time.perf_counter() - started, answer)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                outcome = Outcome(i, None, time.perf_counter() - started)
                if conn is not None:
                    conn[1].close()
                conn = None
            load.outcomes.append(outcome)
            if on_answer is not None:
                on_answer(outcome)
        if conn is not None:
            conn[1].close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    load.wall_s = time.perf_counter() - began
    return load


# ---------------------------------------------------------------------------------------------
# Runs


@dataclass
class Result:
    server: str
    database: str
    requests: int
    wall_s: float
    rate: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float
    stored: int | None = None


def measure(
    name: str, database: str, port: int, pid: int, bodies: list[bytes], args: Any
) -> Result:
    warm = bodies[: args.warmup]
    timed = bodies[args.warmup :]
    asyncio.run(post_all(port, warm, args.concurrency))
    cpu0 = cpu_seconds(pid)
    load = asyncio.run(post_all(port, timed, args.concurrency))
    cpu = cpu_seconds(pid) - cpu0
    bad = [o for o in load.outcomes if o.status != 200]
    if bad:
        raise SystemExit(f"{name}: {len(bad)} answers were not 200, e.g. {bad[0]}")
    latencies = [o.latency_s * 1000 for o in load.outcomes]
    return Result(
        name,
        database,
        len(timed),
        load.wall_s,
        len(timed) / load.wall_s,
        percentile(latencies, 50),
        percentile(latencies, 99),
        cpu,
    )


def uvicorn_cmd(app: str, port: int) -> list[str]:
    return [
        str(tool("uvicorn")),
        "--app-dir",
        str(ROOT / "bench"),
        app,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def run_baseline(name: str, app: str, work: Path, bodies: list[bytes], args: Any) -> Result:
    port = free_port()
    db = work / f"{name}.sqlite3"
    env = {**os.environ, "BENCH_SQLITE": str(db)}
    folder = work / name
    folder.mkdir()
    with server(uvicorn_cmd(app, port), env, folder, f"http://127.0.0.1:{port}/") as proc:
        result = measure(name, "SQLite" if name == "sqlite3" else "-", port, proc.pid, bodies, args)
    if name == "sqlite3":
        with sqlite3.connect(db) as check:
            result.stored = check.execute("SELECT count(*) FROM events").fetchone()[0]
        if result.stored != len(bodies):
            raise SystemExit(f"sqlite3: {result.stored} rows for {len(bodies)} requests")
    return result


def parley_env(work: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(
        PARLEY_DATA_DIR=str(work / "data"),
        PARLEY_ELEVENLABS_WEBHOOK_SECRET=SECRET,
        PARLEY_JOB_RUNNER="false",
        PARLEY_LOG_LEVEL="warning",
        **extra,
    )
    if database_url:
        env["PARLEY_DATABASE_URL"] = database_url
    return env


def parley_counts(env: dict[str, str]) -> tuple[int, int]:
    """(webhook events, jobs) in the database `env` points at, read through Parley's settings."""
    code = (
        "import asyncio, sqlalchemy as sa\n"
        "from parley.config import Settings\n"
        "from parley.db.engine import create_engine\n"
        "async def main():\n"
        "    engine = create_engine(Settings().resolved_database_url)\n"
        "    async with engine.connect() as c:\n"
        "        e = await c.scalar(sa.text('select count(*) from webhook_events'))\n"
        "        j = await c.scalar(sa.text('select count(*) from jobs'))\n"
        "    await engine.dispose()\n"
        "    print(e, j)\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    events, jobs = out.stdout.split()
    return int(events), int(jobs)


def run_parley(
    database: str, env: dict[str, str], work: Path, bodies: list[bytes], args: Any
) -> Result:
    subprocess.run([str(tool("parley")), "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    cmd = [str(tool("parley")), "serve", "--port", str(port)]
    folder = work / f"parley-{database}"
    folder.mkdir()
    with server(cmd, env, folder, f"http://127.0.0.1:{port}/healthz") as proc:
        result = measure("parley", database, port, proc.pid, bodies, args)
    events, jobs = parley_counts(env)
    if (events, jobs) != (len(bodies), len(bodies)):
        raise SystemExit(f"parley {database}: {events} events, {jobs} jobs for {len(bodies)}")
    result.stored = events
    return result


def one_round(
    work: Path, template: str, conversation_id: str, total: int, n: int, args: Any
) -> list[Result]:
    """Every server once, on fresh databases, each with its own distinct webhooks."""
    results = []
    for name, app in (
        ("bare", "webhook_ingest:bare_app"),
        ("sqlite3", "webhook_ingest:sqlite3_app"),
    ):
        bodies = distinct_bodies(template, conversation_id, total, f"{name[0]}{n}")
        results.append(run_baseline(name, app, work, bodies, args))
    bodies = distinct_bodies(template, conversation_id, total, f"p{n}")
    results.append(run_parley("SQLite", parley_env(work / "sqlite", None), work, bodies, args))
    if args.postgres:
        from plan_apply import Postgres, Python

        pg = Postgres(args.postgres, args.pg_admin_db)
        with pg.env(f"ingest{n}", work, Python("warm", work / "pycache")) as pg_env:
            env = parley_env(work / "pg", pg_env["PARLEY_DATABASE_URL"])
            results.append(run_parley("PostgreSQL", env, work, bodies, args))
    line = ", ".join(f"{r.server} {r.database}: {r.rate:,.0f}" for r in results)
    print(f"round {n + 1}: {line} req/s", file=sys.stderr)
    return results


def medians(rounds: list[list[Result]]) -> list[Result]:
    out = []
    for i, first in enumerate(rounds[0]):
        same = [rs[i] for rs in rounds]
        out.append(
            Result(
                first.server,
                first.database,
                first.requests,
                median([r.wall_s for r in same]),
                median([r.rate for r in same]),
                median([r.p50_ms for r in same]),
                median([r.p99_ms for r in same]),
                median([r.server_cpu_s for r in same]),
                first.stored,
            )
        )
    return out


def report(results: list[Result]) -> str:
    by = {(r.server, r.database): r for r in results}
    durable = by[("sqlite3", "SQLite")].rate
    rows = []
    for r in results:
        rows.append(
            [
                r.server,
                r.database,
                str(r.requests),
                f"{r.rate:,.0f}",
                f"{r.p50_ms:.1f}",
                f"{r.p99_ms:.1f}",
                f"{r.server_cpu_s / r.requests * 1e6:,.0f}",
                f"{r.rate / durable:.2f}",
            ]
        )
    headers = ["server", "database", "requests", "req/s", "p50 ms", "p99 ms", "server CPU µs/req"]
    return table([*headers, "rate / sqlite3"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per server")
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests first")
    parser.add_argument("--concurrency", type=int, default=32, help="connections (32)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all servers (3)")
    parser.add_argument("--postgres", metavar="URL", help="also run Parley on PostgreSQL")
    parser.add_argument("--pg-admin-db", default="test", help="database psql connects to (test)")
    args = parser.parse_args()
    raise_open_files(4 * args.concurrency + 256)
    info = machine()
    template, conversation_id = emulated_payload()
    total = args.warmup + args.requests
    print(f"payload: {len(template):,} bytes, {2 * USER_TURNS} turns", file=sys.stderr)
    rounds: list[list[Result]] = []
    with tempfile.TemporaryDirectory(prefix="parley-ingest-") as tmp:
        for n in range(args.rounds):
            work = Path(tmp) / f"round{n}"
            work.mkdir()
            rounds.append(one_round(work, template, conversation_id, total, n, args))
    print(f"\n{machine_line(info)}")
    print(
        f"{args.requests} timed requests (after {args.warmup} untimed) per server and round, "
        f"{args.rounds} rounds (servers in turn within each round; the table shows medians), "
        f"{args.concurrency} keep-alive connections, payload {len(template):,} bytes "
        f"({2 * USER_TURNS} turns)\n"
    )
    results = medians(rounds)
    print(report(results))
    ratios = []
    for round_results in rounds:
        by = {(r.server, r.database): r.rate for r in round_results}
        ratios.append(by[("parley", "SQLite")] / by[("sqlite3", "SQLite")])
    ratio = median(ratios)
    verdict = "met" if ratio >= GOAL_RATIO else "MISSED"
    print(
        f"\nParley on SQLite / sqlite3 per round: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {ratio:.2f}; goal >= {GOAL_RATIO:.2f}: {verdict}"
    )
    write_json(
        "webhook_ingest.json",
        {
            "machine": info,
            "args": vars(args),
            "payload_bytes": len(template),
            "results": [r.__dict__ for r in results],
            "rounds": [[r.__dict__ for r in rs] for rs in rounds],
        },
    )


if __name__ == "__main__":
    main()
