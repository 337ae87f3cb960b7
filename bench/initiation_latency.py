"""Latency of conversation starts: the inbound initiation webhook and `POST /api/v1/sessions`.

    .venv/bin/python bench/initiation_latency.py [--rate 300] [--seconds 20] [--postgres URL]
        [--experiment]

Three servers run as subprocesses with uvicorn, exactly as deployed: the emulator (`parley
emulate`), Parley (`parley serve`, SQLite in a temp dir unless `--postgres` names a server
whose admin URL is used to create and drop a throwaway database), and a bare FastAPI app that
answers the same initiation request with a fixed answer (`bare_app` below: JSON in, JSON out,
no database), so the cost of Parley's own work is visible next to the framework's floor.

Before measuring, the example agents are applied to the emulator, and `--callers` callers get
`--history` earlier conversations each (so personalisation reads real rows). Each endpoint is
then driven open-loop: request i is sent at t0 + i/rate whatever happened to earlier ones, and
its latency counts from that scheduled time (so queueing is not hidden: no coordinated
omission). Maximum throughput is measured closed-loop with `--concurrency` clients back to
back. Initiation requests cycle through the `--callers` callers with a new call sid each, so
every answer does the full work (route, spec, history, insert); with `--experiment` the
example experiment runs, so each start also reads the experiment and the caller's assignment
and writes a new caller's first assignment and the exposure. The server's CPU time per
answered request at the steady rate (all its threads, from /proc) is reported too: on a shared
machine it says what the work costs where latencies say mostly how busy the machine was. The
session start includes one provider call (a signed URL from the emulator), on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request

from _common import ROOT, machine, machine_line, percentile, table, tool, write_json
from _servers import cpu_seconds, free_port, server

SECRET = "bench-initiation-secret"
HEADER = "X-Parley-Initiation-Secret"
AGENT = "etf-sales-specialist"

bare_app = FastAPI()


@bare_app.post("/webhooks/elevenlabs/conversation-initiation")
async def bare_initiation(request: Request) -> dict[str, Any]:
    if request.headers.get(HEADER) != SECRET:
        return {"error": "unauthorised"}
    body = await request.json()
    return {
        "type": "conversation_initiation_client_data",
        "dynamic_variables": {"advisor_name": "Ana", "parley_start": "st_x", "caller": body},
    }


@bare_app.get("/healthz")
async def bare_health() -> dict[str, str]:
    return {"status": "ok"}


# ---------------------------------------------------------------------------------------------
# Load: a minimal HTTP/1.1 keep-alive client (httpx's pool costs more CPU than the servers)


class Pool:
    """Keep-alive connections to one server; a request takes a free one or opens another."""

    def __init__(self, base: str) -> None:
        url = httpx.URL(base)
        self.host, self.port = url.host, url.port or 80
        self.free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self, method: str, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> int:
        conn = self.free.pop() if self.free else await asyncio.open_connection(self.host, self.port)
        reader, writer = conn
        data = json.dumps(body).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n{head}\r\n".encode()
            + data
        )
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in raw.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError):
            writer.close()
            raise
        self.free.append(conn)
        return int(raw[9:12])

    def close(self) -> None:
        for _, writer in self.free:
            writer.close()


Send = Callable[[Pool, int], Awaitable[int]]


async def open_loop(pool: Pool, send: Send, rate: float, seconds: float) -> dict[str, Any]:
    """Requests at a steady `rate`; latency from each request's scheduled send time."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    t0 = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        due = t0 + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        try:
            status = await send(pool, i)
        except (OSError, asyncio.IncompleteReadError) as exc:
            errors[type(exc).__name__] += 1
            return
        if status != 200:
            errors[f"status {status}"] += 1
            return
        latencies.append((time.perf_counter() - due) * 1000)

    await asyncio.gather(*(one(i) for i in range(total)))
    return {"sent": total, "ok": len(latencies), **_stats(latencies), "errors": dict(errors)}


async def closed_loop(
    pool: Pool, send: Send, concurrency: int, seconds: float, offset: int
) -> dict[str, Any]:
    done = 0
    errors: Counter[str] = Counter()
    end = time.perf_counter() + seconds
    counter = iter(range(offset, offset + 10**9))

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < end:
            try:
                status = await send(pool, next(counter))
            except (OSError, asyncio.IncompleteReadError) as exc:
                errors[type(exc).__name__] += 1
                continue
            if status == 200:
                done += 1
            else:
                errors[f"status {status}"] += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"max_rps": done / (time.perf_counter() - start), "errors": dict(errors)}


def _stats(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies),
    }


def initiation_sender(remote_agent: str, callers: int) -> Send:
    async def send(pool: Pool, i: int) -> int:
        body = {"caller_id": f"+4477009{i % callers:05d}", "agent_id": remote_agent,
                "called_number": "+15550100", "call_sid": f"CA{uuid.uuid4().hex}"}  # fmt: skip
        return await pool.request(
            "POST", "/webhooks/elevenlabs/conversation-initiation", body, {HEADER: SECRET}
        )

    return send


def session_sender(token: str) -> Send:
    async def send(pool: Pool, i: int) -> int:
        body = {"agent": AGENT, "target": "elevenlabs", "user_id": f"user-{i}",
                "variables": {"advisor_name": "Ana"}}  # fmt: skip
        return await pool.request(
            "POST", "/api/v1/sessions", body, {"Authorization": f"Bearer {token}"}
        )

    return send


async def measure(
    base: str, send: Send, args: argparse.Namespace, rate: float, pid: int
) -> dict[str, Any]:
    pool = Pool(base)
    try:
        await closed_loop(pool, send, 8, args.warmup, offset=10**7)  # warm-up
        before = cpu_seconds(pid)
        steady = await open_loop(pool, send, rate, args.seconds)
        # The server's own CPU time (all its threads) per answered request at the steady rate.
        steady["cpu_ms"] = (cpu_seconds(pid) - before) * 1000 / max(1, steady["ok"])
        peak = await closed_loop(pool, send, args.concurrency, args.seconds / 2, offset=2 * 10**7)
    finally:
        pool.close()
    return {"rate": rate, "steady": steady, "peak": peak}


# ---------------------------------------------------------------------------------------------
# Set-up


async def prepare(
    settings: Any, callers: int, history: int, experiment: bool = False
) -> tuple[str, str]:
    """Apply the examples, seed the callers' history, make a token: (remote agent, token).
    With `experiment`, a second version of the sales agent is applied and the example
    experiment (v1 against v2, unit: caller) runs, each arm served from its own branch."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from parley.agents import remote, service
    from parley.agents.validate import check_paths
    from parley.conversations.callers import caller_hash, hash_key
    from parley.db import migrate
    from parley.db.engine import create_engine, session_factory, session_scope
    from parley.models import Agent, Conversation
    from parley.providers.registry import Providers
    from parley.tokens import service as tokens

    engine = create_engine(settings.resolved_database_url)
    await migrate.upgrade(engine)
    units = session_factory(engine)
    specs = [service.SourcedSpec(s) for s in check_paths([ROOT / "examples" / "agents"]).valid]
    async with Providers(settings) as built, session_scope(units) as session:
        await service.apply(session, specs, author="bench")
        wanted = await remote.desired_for(session, [s.spec.name for s in specs])
        items = await remote.apply(session, built, wanted, author="bench")
    if experiment:
        await _experiment(settings, units, specs)
    remote_agent = next(i.remote_id for i in items if i.name == AGENT and i.target == "elevenlabs")
    key = hash_key(settings)
    async with session_scope(units) as session:
        agent = await session.scalar(select(Agent).where(Agent.name == AGENT))
        assert agent is not None
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for c in range(callers):
            number = f"+4477009{c:05d}"
            for h in range(history):
                session.add(
                    Conversation(
                        provider="elevenlabs", remote_id=f"conv_seed_{c}_{h}", agent_id=agent.id,
                        version_number=1, caller_hash=caller_hash(number, key),
                        started_at=start + timedelta(days=h, seconds=c), status="done",
                        summary=f"Seeded conversation {h} with caller {c}.",
                        data_collection={"advisor_name": {"value": f"Advisor {c}"}},
                        normaliser_version=1,
                    )
                )  # fmt: skip
        created = await tokens.create(session, "bench", actor="bench")
    await engine.dispose()
    assert remote_agent
    return remote_agent, created.token


async def _experiment(settings: Any, units: Any, specs: list[Any]) -> None:
    """v2 of the sales agent (a new first message), applied, and the example experiment run."""
    from parley.agents import remote, service
    from parley.agents.spec import AgentSpec
    from parley.db.engine import session_scope
    from parley.experiments import service as experiments
    from parley.experiments.spec import check
    from parley.providers.registry import Providers

    sales = next(s for s in specs if s.spec.name == AGENT)
    data = sales.spec.model_dump(mode="json", exclude_none=True)
    data["first_message"] = "Good day, this is a calmer opening."
    edited = [*(s for s in specs if s is not sales), service.SourcedSpec(AgentSpec(**data))]
    source = (ROOT / "examples" / "experiments" / "calmer-opener.yaml").read_text()
    async with Providers(settings) as built, session_scope(units) as session:
        await service.apply(session, edited, author="bench")
        wanted = await remote.desired_for(session, [AGENT])
        await remote.apply(session, built, wanted, author="bench")
        await experiments.create(session, check(yaml_text=source, source="calmer-opener.yaml"))
        await experiments.start(session, "calmer_opener", providers=built)


async def _admin(url: str, statement: str) -> None:
    from sqlalchemy import text

    from parley.db.engine import create_engine

    engine = create_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    from parley.config import settings_with

    results: dict[str, Any] = {
        "machine": machine(),
        "args": vars(args),
        "load_start": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory(prefix="parley-bench-init-") as raw:
        tmp = Path(raw)
        dbname = None
        if args.postgres:
            dbname = f"parley_bench_{uuid.uuid4().hex[:10]}"
            asyncio.run(_admin(args.postgres, f'CREATE DATABASE "{dbname}"'))
            db_url = (
                make_url(args.postgres).set(database=dbname).render_as_string(hide_password=False)
            )
        else:
            db_url = f"sqlite+aiosqlite:///{tmp / 'parley.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        emu_port, parley_port, bare_port = free_port(), free_port(), free_port()
        emu_url = f"http://127.0.0.1:{emu_port}"
        parley_env = {
            **env,
            "PARLEY_DATA_DIR": str(tmp),
            "PARLEY_DATABASE_URL": db_url,
            "PARLEY_ELEVENLABS_API_KEY": "xi-bench",
            "PARLEY_ELEVENLABS_BASE_URL": f"{emu_url}/elevenlabs",
            "PARLEY_ULTRAVOX_API_KEY": "uv-bench",
            "PARLEY_ULTRAVOX_BASE_URL": f"{emu_url}/ultravox",
            "PARLEY_ELEVENLABS_INITIATION_SECRET": SECRET,
            "PARLEY_SECRET_VARIABLES": '{"crm_token": "bench-crm-token"}',
            "PARLEY_JOB_RUNNER": "false",
            "PARLEY_LOG_LEVEL": "warning",
            "PARLEY_CALLER_HASH_KEY": "bench-caller-key",
        }
        try:
            emulate = [str(tool("parley")), "emulate", "--port", str(emu_port)]
            with server(emulate, env, tmp, f"{emu_url}/_emulator/state"):
                settings = settings_with(
                    data_dir=tmp, database_url=db_url, elevenlabs_api_key="xi-bench",
                    elevenlabs_base_url=f"{emu_url}/elevenlabs", ultravox_api_key="uv-bench",
                    ultravox_base_url=f"{emu_url}/ultravox", caller_hash_key="bench-caller-key",
                )  # fmt: skip
                remote_agent, token = asyncio.run(
                    prepare(settings, args.callers, args.history, args.experiment)
                )
                print("prepared; measuring Parley", file=sys.stderr)
                serve = [str(tool("parley")), "serve", "--port", str(parley_port)]
                parley = f"http://127.0.0.1:{parley_port}"
                with server(serve, parley_env, tmp, f"{parley}/readyz") as proc:
                    init = initiation_sender(remote_agent, args.callers)
                    results["initiation"] = asyncio.run(
                        measure(parley, init, args, args.rate, proc.pid)
                    )
                    print("initiation measured", file=sys.stderr)
                    if not args.skip_sessions:
                        sessions = session_sender(token)
                        results["session"] = asyncio.run(
                            measure(parley, sessions, args, args.session_rate, proc.pid)
                        )
            bare = [
                *(str(tool("uvicorn")), "initiation_latency:bare_app", "--port", str(bare_port)),
                *("--log-level", "warning", "--no-access-log", "--app-dir", str(ROOT / "bench")),
            ]
            bare_url = f"http://127.0.0.1:{bare_port}"
            with server(bare, env, tmp, f"{bare_url}/healthz") as proc:
                results["bare"] = asyncio.run(
                    measure(bare_url, initiation_sender("agent_x", 1), args, args.rate, proc.pid)
                )
        finally:
            if dbname:
                asyncio.run(
                    _admin(args.postgres, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
                )
    return results


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    rows = []
    labels = {
        "initiation": "Parley: initiation webhook",
        "session": "Parley: POST /api/v1/sessions",
        "bare": "bare FastAPI, same request",
    }
    for name, label in labels.items():
        if name not in results:
            continue
        steady, peak = results[name]["steady"], results[name]["peak"]
        errors = {**steady["errors"], **peak["errors"]}
        rows.append(
            [
                *(label, f"{results[name]['rate']:g}", f"{steady['ok']}/{steady['sent']}"),
                *(ms(steady["p50_ms"]), ms(steady["p99_ms"]), ms(steady["max_ms"])),
                f"{steady['cpu_ms']:.2f}",
                *(f"{peak['max_rps']:.0f}", json.dumps(errors) if errors else "none"),
            ]
        )
    db = "PostgreSQL" if args.postgres else "SQLite"
    if args.experiment:
        db += ", experiment running"
    load = os.getloadavg()[0]
    head = (
        f"{machine_line(results['machine'])}; {db}; {args.seconds:g} s per rate;"
        f" load average {results['load_start']:.1f} at the start, {load:.1f} at the end"
    )
    return (
        head
        + "\n\n"
        + table(
            [
                "endpoint",
                "req/s",
                "ok/sent",
                "p50 ms",
                "p99 ms",
                "max ms",
                "server CPU ms/req",
                f"max req/s (c={args.concurrency})",
                "errors",
            ],
            rows,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=300.0, help="Open-loop requests per second.")
    parser.add_argument(
        "--session-rate", type=float, default=50.0, help="Open-loop rate for session starts."
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="Steady-rate window.")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32, help="Clients for max throughput.")
    parser.add_argument("--callers", type=int, default=2000, help="Callers with history.")
    parser.add_argument("--history", type=int, default=3, help="Earlier calls per caller.")
    parser.add_argument("--postgres", help="Admin URL of a PostgreSQL server (throwaway DB).")
    parser.add_argument("--skip-sessions", action="store_true")
    parser.add_argument(
        "--experiment",
        action="store_true",
        help="Run the example experiment (v1 against v2 of the sales agent) while measuring.",
    )
    args = parser.parse_args()
    results = run(args)
    name = "initiation_latency_postgres.json" if args.postgres else "initiation_latency.json"
    path = write_json(name, results)
    print(report(results, args))
    print(f"\nraw results: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
