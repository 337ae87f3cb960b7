"""Reliability study: webhooks lost and duplicated, then one reconciliation, store compared.

The emulator is served on a real local port (in a thread of this process, so its state can be
read as ground truth), with webhook faults: 20% of deliveries dropped and 10% of the others sent
twice (the emulator's own `drop_webhook` and `duplicate_webhook` rules, matched on the delivery
URL). `parley serve` runs as a subprocess on a fresh database (SQLite, or PostgreSQL with
--postgres) with its job runner on and periodic sync off, and both providers pointed at the
emulator. The example agent `etf-sales-specialist` is applied to both providers with
`parley agents apply --target all`, N conversations are simulated on each provider (in waves of
25 per provider, each wave's deliveries settled before the next, as conversations end over
time), the deliveries land (or not) in Parley and are processed, and then ONE
`parley conversations sync` runs. The store must then equal the emulator exactly: the same
conversation ids per provider, each once, with the same status, number of turns, duration, cost
and termination reason.

Prints PASS or FAIL with the counts; exits 1 on FAIL. Run from the repository root:

    .venv/bin/python bench/studies/sync_faults.py                   # SQLite, 200 per provider
    .venv/bin/python bench/studies/sync_faults.py --count 300 \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/parley_study

`tests/webhooks/test_reliability.py` runs `study()` with 25 conversations per provider.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/: shared helpers

import httpx
import uvicorn
from sqlalchemy import text
from webhook_kill import parley_bin, read_store, start, stop

from _common import ROOT
from _servers import free_port

EL_KEY = "study-elevenlabs-key"
UV_KEY = "study-ultravox-key"
UV_SECRET = "study-ultravox-secret-0123456789"
AGENT = "etf-sales-specialist"
SPECS = ROOT / "examples" / "agents"  # the agents with their tools and knowledge
DROP, DUPLICATE = 0.2, 0.1


@contextmanager
def emulator(seed: int) -> Iterator[tuple[str, Any]]:
    """The emulator on a free local port: (base URL, its state)."""
    from parley.emulator.app import create_emulator_app
    from parley.emulator.config import EmulatorConfig

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = EmulatorConfig(
        seed=seed,
        public_url=url,
        elevenlabs_api_keys=frozenset({EL_KEY}),
        ultravox_api_keys=frozenset({UV_KEY}),
    )
    app = create_emulator_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the emulator did not start")
        time.sleep(0.01)
    try:
        yield url, app.state.emu
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def hooks(emu_url: str, parley_url: str) -> str:
    """Point both providers' webhooks at Parley; returns the ElevenLabs signing secret."""
    el, uv = {"xi-api-key": EL_KEY}, {"X-API-Key": UV_KEY}
    with httpx.Client(base_url=emu_url, timeout=30) as http:
        made = http.post(
            "/elevenlabs/v1/workspace/webhooks",
            headers=el,
            json={
                "settings": {"name": "parley", "webhook_url": f"{parley_url}/webhooks/elevenlabs"}
            },
        )
        made.raise_for_status()
        settings = {"post_call_webhook_id": made.json()["webhook_id"], "events": ["transcript"]}
        http.patch(
            "/elevenlabs/v1/convai/settings", headers=el, json={"webhooks": settings}
        ).raise_for_status()
        http.post(
            "/ultravox/api/webhooks",
            headers=uv,
            json={
                "url": f"{parley_url}/webhooks/ultravox",
                "events": ["call.started", "call.joined", "call.ended", "call.billed"],
                "secrets": [UV_SECRET],
            },
        ).raise_for_status()
    return str(made.json()["webhook_secret"])


def parley_env(work: Path, database_url: str, emu_url: str, el_secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(
        PARLEY_DATA_DIR=str(work / "data"),
        PARLEY_DATABASE_URL=database_url,
        PARLEY_ELEVENLABS_API_KEY=EL_KEY,
        PARLEY_ELEVENLABS_BASE_URL=f"{emu_url}/elevenlabs",
        PARLEY_ULTRAVOX_API_KEY=UV_KEY,
        PARLEY_ULTRAVOX_BASE_URL=f"{emu_url}/ultravox",
        PARLEY_ELEVENLABS_WEBHOOK_SECRET=el_secret,
        PARLEY_ULTRAVOX_WEBHOOK_SECRET=UV_SECRET,
        PARLEY_JOB_RUNNER="true",
        PARLEY_JOB_POLL_S="0.2",
        PARLEY_SYNC_INTERVAL_S="0",
        PARLEY_RETENTION_INTERVAL_S="0",
        PARLEY_LOG_LEVEL="warning",
    )
    return env


def cli(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [parley_bin(), *args, "--json"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"parley {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout)


def remote_ids(applied: Any) -> dict[str, str]:
    """provider -> remote agent id, from `parley agents apply --target all --json`."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            target = node.get("target")
            if node.get("name") == AGENT and target in ("elevenlabs", "ultravox"):
                found[target] = node.get("remote_id") or found.get(target, "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(applied)
    return found


def simulate(emu_url: str, agents: dict[str, str], count: int) -> None:
    """`count` finished conversations on each provider, ended now (their webhooks are due)."""
    with httpx.Client(base_url=emu_url, timeout=120) as http:
        for provider, options in (
            ("elevenlabs", {"dynamic_variables": {"advisor_name": "Ana"}, "user_id_prefix": "u-"}),
            ("ultravox", {"template_context": {"advisor_name": "Ana"}}),
        ):
            body = {"agent_id": agents[provider], "count": count, **options}
            answer = http.post("/_emulator/simulate", json={"provider": provider, "options": body})
            answer.raise_for_status()


def settle_deliveries(emu: Any, timeout_s: float) -> Counter[str]:
    """Wait until no delivery is pending; the emulator's own loop sends them."""
    deadline = time.monotonic() + timeout_s
    while True:
        statuses = Counter(d.status for d in list(emu.outbox.deliveries))
        if statuses["pending"] == 0 or time.monotonic() > deadline:
            return statuses
        time.sleep(0.2)


async def drain(database_url: str, timeout_s: float) -> None:
    from parley.db.engine import create_engine

    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                open_jobs = await conn.scalar(
                    text("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
                )
            if not open_jobs:
                return
            await asyncio.sleep(0.3)
    finally:
        await engine.dispose()


async def store_rows(database_url: str) -> dict[tuple[str, str], dict[str, Any]]:
    from parley.db.engine import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT c.provider, c.remote_id, c.status, c.duration_s, c.cost, "
                    "c.termination_reason, (SELECT count(*) FROM conversation_turns t "
                    "WHERE t.conversation_id = c.id) AS turns FROM conversations c"
                )
            )
            out: dict[tuple[str, str], dict[str, Any]] = {}
            for row in rows.mappings():
                key = (row["provider"], row["remote_id"])
                if key in out:
                    out[key]["copies"] += 1
                else:
                    out[key] = {**row, "copies": 1}
    finally:
        await engine.dispose()
    return out


def truth(emu: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """What the emulator holds, in the store's terms."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for cid, c in emu.state("elevenlabs").conversations.items():
        out[("elevenlabs", cid)] = {
            "status": c.status,
            "turns": len(c.transcript),
            "duration_s": c.call_duration_secs,
            "cost": c.cost,
        }
    for call_id, call in emu.state("ultravox").calls.items():
        out[("ultravox", call_id)] = {
            "status": "done" if call.ended is not None else "in_progress",
            "turns": len(call.messages),
            "termination_reason": call.end_reason,
            "cost": call.billed_duration_s,
        }
    return out


@dataclass
class Report:
    counts: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def check(self, ok: bool, what: str) -> None:
        self.lines.append(f"  [{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.failures.append(what)

    def render(self, label: str) -> str:
        return "\n".join([f"{label}: {'PASS' if self.passed else 'FAIL'}", *self.lines])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(float(a) - float(b)) < 1e-6
    return bool(a == b)


def compare(report: Report, emulated: dict[Any, Any], stored: dict[Any, Any]) -> None:
    for provider in ("elevenlabs", "ultravox"):
        want = {k for k in emulated if k[0] == provider}
        have = {k for k in stored if k[0] == provider}
        report.check(
            want == have,
            f"{provider}: {len(have)} stored for {len(want)} on the provider "
            f"({len(want - have)} missing, {len(have - want)} unknown)",
        )
    twice = sum(1 for row in stored.values() if row["copies"] > 1)
    report.check(twice == 0, f"conversations stored twice: {twice}")
    mismatched: Counter[str] = Counter()
    example: dict[str, str] = {}
    for key, expected in emulated.items():
        row = stored.get(key)
        if row is None:
            continue
        for name, value in expected.items():
            if not _same(row[name], value):
                mismatched[name] += 1
                example.setdefault(name, f"{key[1]}: stored {row[name]!r}, provider {value!r}")
    fields = sorted({n for e in emulated.values() for n in e})
    for name in fields:
        detail = f" (e.g. {example[name]})" if name in example else ""
        report.check(
            mismatched[name] == 0,
            f"{name}: {mismatched[name]} conversations differ from the provider{detail}",
        )


def study(
    database_url: str,
    work: Path,
    *,
    count: int = 200,
    wave: int = 25,
    seed: int = 17,
    migrate: bool = True,
) -> Report:
    """The whole study on an empty database (migrated first unless `migrate` is False)."""
    report = Report()
    phases: dict[str, float] = {}
    clock = [time.monotonic()]

    def phase(name: str) -> None:
        now = time.monotonic()
        phases[name] = round(now - clock[0], 1)
        clock[0] = now

    with emulator(seed) as (emu_url, emu):
        port = free_port()
        parley_url = f"http://127.0.0.1:{port}"
        el_secret = hooks(emu_url, parley_url)
        env = parley_env(work, database_url, emu_url, el_secret)
        if migrate:
            upgrade = [parley_bin(), "db", "upgrade"]
            subprocess.run(upgrade, env=env, check=True, capture_output=True)
        agents = remote_ids(
            cli(env, "agents", "apply", str(SPECS), "--target", "all", "-m", "study")
        )
        if set(agents) != {"elevenlabs", "ultravox"}:
            raise RuntimeError(f"the agent was not applied to both providers: {agents}")
        phase("setup")
        proc = start(env, port, work / "server.log")
        phase("start")
        try:
            with httpx.Client(base_url=emu_url) as http:
                for kind, rate in (("drop_webhook", DROP), ("duplicate_webhook", DUPLICATE)):
                    # Matched on the URL only ("http*"), so each delivery gets one draw.
                    rule = {"kind": kind, "path": "http*", "rate": rate}
                    http.post("/_emulator/faults", json=rule).raise_for_status()
            # In waves, as conversations end over time: the emulator sends every due delivery
            # at once through one client (100 connections; its 10 s timeout includes waiting
            # for one), so a single wave of 1,000 deliveries would time out in the emulator.
            for first in range(0, count, wave):
                simulate(emu_url, agents, min(wave, count - first))
                deliveries = settle_deliveries(emu, 300)
            phase("simulate and deliver")
            asyncio.run(drain(database_url, 300))
            phase("process")
            before = asyncio.run(store_rows(database_url))
            synced = cli(env, "conversations", "sync")
            phase("sync")
            asyncio.run(drain(database_url, 300))
            stored = asyncio.run(store_rows(database_url))
            events = asyncio.run(read_store(database_url))
        finally:
            stop(proc)
        emulated = truth(emu)
    dupes = sum(1 for d in emu.outbox.deliveries if d.duplicate_of)
    attempts = [a for d in emu.outbox.deliveries for a in d.attempts]
    refused = Counter(str(a.status_code or a.error) for a in attempts if a.status_code != 200)
    report.counts = {
        "conversations": len(emulated),
        "deliveries": dict(deliveries),
        "duplicates_sent": dupes,
        "stored_before_sync": len(before),
        "stored_after_sync": len(stored),
        "sync": synced,
        "seconds": phases,
    }
    report.lines.append(
        f"  [info] {len(emulated)} conversations on the providers; deliveries: "
        f"{dict(deliveries)} ({dupes} of them duplicates)"
    )
    report.lines.append(
        f"  [info] delivery attempts: {len(attempts)}; not answered 200: {dict(refused)}"
    )
    report.lines.append(f"  [info] seconds per phase: {phases}")
    report.lines.append(
        f"  [info] stored from webhooks before the sync: {len(before)}; after one sync: "
        f"{len(stored)}"
    )
    turns = sum(int(row["turns"]) for row in stored.values())
    report.lines.append(
        f"  [info] turns stored: {turns}; provider's: {sum(e['turns'] for e in emulated.values())}"
    )
    report.check(deliveries["pending"] == 0, "every delivery attempted")
    report.check(deliveries["dropped"] > 0 and dupes > 0, "faults applied (drops and duplicates)")
    report.check(len(before) < len(emulated), "webhooks alone left conversations missing")
    twice = sum(1 for n in events.events.values() if n > 1)
    report.check(twice == 0, f"ElevenLabs events stored twice: {twice}")
    compare(report, emulated, stored)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="conversations per provider")
    parser.add_argument("--wave", type=int, default=25, help="conversations per provider a wave")
    parser.add_argument("--seed", type=int, default=17, help="the emulator's seed")
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL")
    parser.add_argument("--pg-admin-db", default="test", help="database psql connects to (test)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    results: list[tuple[str, Report, float]] = []
    with tempfile.TemporaryDirectory(prefix="parley-sync-") as tmp:
        work = Path(tmp)
        if not args.no_sqlite:
            (work / "sqlite").mkdir()
            url = f"sqlite+aiosqlite:///{work / 'sqlite' / 'data' / 'parley.db'}"
            began = time.monotonic()
            report = study(url, work / "sqlite", count=args.count, wave=args.wave, seed=args.seed)
            results.append(("SQLite", report, time.monotonic() - began))
            print(report.render("SQLite"), flush=True)
        if args.postgres:
            from plan_apply import Postgres, Python

            pg = Postgres(args.postgres, args.pg_admin_db)
            (work / "pg").mkdir()
            with pg.env("sync", work / "pg", Python("warm", work / "pycache")) as pg_env:
                began = time.monotonic()
                url = pg_env["PARLEY_DATABASE_URL"]
                report = study(url, work / "pg", count=args.count, wave=args.wave, seed=args.seed)
                results.append(("PostgreSQL", report, time.monotonic() - began))
                print(report.render("PostgreSQL"), flush=True)
    print()
    for label, report, took in results:
        c = report.counts
        print(
            f"{label}: {'PASS' if report.passed else 'FAIL'}: {c['conversations']} "
            f"conversations, deliveries {c['deliveries']} ({c['duplicates_sent']} duplicates), "
            f"{c['stored_before_sync']} stored from webhooks, {c['stored_after_sync']} after "
            f"one sync, {took:.0f} s"
        )
    sys.exit(0 if all(r.passed for _, r, _ in results) else 1)


if __name__ == "__main__":
    main()
