"""Reliability study: SIGKILL the Parley server in the middle of a webhook burst.

`parley serve` runs as a real subprocess (in-process job runner on, as in embedded mode) on a
fresh SQLite database, or PostgreSQL with --postgres. A burst of N distinct signed ElevenLabs
`post_call_transcription` webhooks (the emulator's own 20-turn payload, as in
bench/webhook_ingest.py) is posted over 64 keep-alive connections; once K of them have been
answered 2xx, the server is killed with SIGKILL (no shutdown, no flush). The server is started
again on the same database, its job runner drains the queue (the lease of a job cut off by the
kill is short here, 3 s, so it is taken again quickly), and the database is checked:

- every event answered 2xx is stored exactly once, has exactly one processing job, that job is
  done, and its conversation exists exactly once with its 20 turns (processed exactly once);
- events that got no answer may or may not be stored, but none is stored twice, and none is
  stored without its job;
- then every webhook is delivered again (providers retry): every answer is 2xx, the ones stored
  before answer "duplicate", and after draining there are exactly N events, N jobs and N
  conversations, each once.

Prints PASS or FAIL with the counts; exits 1 on FAIL. Run from the repository root:

    .venv/bin/python bench/studies/webhook_kill.py                  # SQLite, 5,000 webhooks
    .venv/bin/python bench/studies/webhook_kill.py \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/parley_study

`tests/webhooks/test_reliability.py` runs `study()` with 200 webhooks on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/: shared helpers

import httpx
from sqlalchemy import text

from _servers import free_port, raise_open_files
from webhook_ingest import (
    SECRET,
    Outcome,
    distinct_bodies,
    emulated_payload,
    post_all,
)

PROCESS = "webhooks.process"
TURNS = 20


def parley_bin() -> str:
    return str(Path(sys.executable).parent / "parley")


def server_env(work: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env.update(
        PARLEY_DATA_DIR=str(work / "data"),
        PARLEY_DATABASE_URL=database_url,
        PARLEY_ELEVENLABS_WEBHOOK_SECRET=SECRET,
        PARLEY_JOB_RUNNER="true",
        PARLEY_JOB_POLL_S="0.2",
        PARLEY_JOB_LEASE_S="3",
        PARLEY_SYNC_INTERVAL_S="0",
        PARLEY_RETENTION_INTERVAL_S="0",
        PARLEY_LOG_LEVEL="warning",
    )
    return env


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [parley_bin(), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"parley serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("parley serve did not answer /healthz in 60 s")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# ---------------------------------------------------------------------------------------------
# What the database holds


@dataclass
class Stored:
    events: Counter[str] = field(default_factory=Counter)  # conversation id -> event rows
    event_ids: dict[str, int] = field(default_factory=dict)
    unprocessed: int = 0  # events not yet `processed`
    jobs: Counter[int] = field(default_factory=Counter)  # event id -> jobs
    jobs_open: int = 0  # queued or running
    jobs_parked: int = 0
    reruns: int = 0  # done jobs that took more than one attempt (a run cut off by the kill)
    conversations: Counter[str] = field(default_factory=Counter)
    turns: dict[str, int] = field(default_factory=dict)


async def read_store(database_url: str) -> Stored:
    from parley.db.engine import create_engine

    engine = create_engine(database_url)
    out = Stored()
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT id, remote_id, status FROM webhook_events WHERE provider = :p"),
                {"p": "elevenlabs"},
            )
            for event_id, remote_id, status in rows:
                out.events[remote_id] += 1
                out.event_ids[remote_id] = event_id
                out.unprocessed += status != "processed"
            rows = await conn.execute(
                text("SELECT dedupe_key, status, attempts FROM jobs WHERE kind = :k"),
                {"k": PROCESS},
            )
            for key, status, attempts in rows:
                out.jobs[int(key)] += 1
                out.jobs_open += status in ("queued", "running")
                out.jobs_parked += status == "parked"
                out.reruns += status == "done" and attempts > 1
            rows = await conn.execute(
                text(
                    "SELECT c.remote_id, (SELECT count(*) FROM conversation_turns t "
                    "WHERE t.conversation_id = c.id) FROM conversations c "
                    "WHERE c.provider = :p"
                ),
                {"p": "elevenlabs"},
            )
            for remote_id, turns in rows:
                out.conversations[remote_id] += 1
                out.turns[remote_id] = int(turns)
    finally:
        await engine.dispose()
    return out


async def drain(database_url: str, timeout_s: float) -> Stored:
    """Wait until no processing job is queued or running (the restarted runner's work)."""
    deadline = time.monotonic() + timeout_s
    while True:
        stored = await read_store(database_url)
        if stored.jobs_open == 0 and stored.unprocessed == stored.jobs_parked:
            return stored
        if time.monotonic() > deadline:
            return stored
        await asyncio.sleep(0.5)


# ---------------------------------------------------------------------------------------------
# The study


@dataclass
class Report:
    sent: int
    acked: int
    unanswered: int
    unanswered_stored: int
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
        head = f"{label}: {'PASS' if self.passed else 'FAIL'}"
        return "\n".join([head, *self.lines])


def conversation_ids(bodies: list[bytes]) -> list[str]:
    return [json.loads(b)["data"]["conversation_id"] for b in bodies]


def check_once(report: Report, stored: Stored, ids: list[str], what: str) -> None:
    """Each of `ids` stored once, with one done job, one conversation with all its turns."""
    events = [stored.events[c] for c in ids]
    report.check(all(n == 1 for n in events), f"{what}: {sum(events)} events for {len(ids)}")
    jobs = [stored.jobs[stored.event_ids[c]] if c in stored.event_ids else 0 for c in ids]
    report.check(all(n == 1 for n in jobs), f"{what}: {sum(jobs)} processing jobs")
    convs = [stored.conversations[c] for c in ids]
    report.check(all(n == 1 for n in convs), f"{what}: {sum(convs)} conversations")
    full = sum(stored.turns.get(c) == TURNS for c in ids)
    report.check(full == len(ids), f"{what}: {full} conversations with their {TURNS} turns")


def check_whole_store(report: Report, stored: Stored) -> None:
    twice = sum(1 for n in stored.events.values() if n > 1)
    report.check(twice == 0, f"events stored twice: {twice}")
    without_job = sum(1 for i in stored.event_ids.values() if stored.jobs[i] == 0)
    report.check(without_job == 0, f"events stored without their job: {without_job}")
    jobs_twice = sum(1 for n in stored.jobs.values() if n > 1)
    report.check(jobs_twice == 0, f"events with two jobs: {jobs_twice}")
    convs_twice = sum(1 for n in stored.conversations.values() if n > 1)
    report.check(convs_twice == 0, f"conversations stored twice: {convs_twice}")
    report.check(
        stored.jobs_open == 0 and stored.jobs_parked == 0 and stored.unprocessed == 0,
        f"queue drained: {stored.jobs_open} open, {stored.jobs_parked} parked jobs, "
        f"{stored.unprocessed} unprocessed events",
    )


def study(
    database_url: str,
    work: Path,
    *,
    count: int = 5000,
    kill_after: int | None = None,
    concurrency: int = 64,
    drain_timeout_s: float = 600.0,
) -> Report:
    """The whole study on an empty, migrated database; `kill_after` defaults to 40% of count."""
    kill_after = kill_after if kill_after is not None else count * 2 // 5
    template, conversation_id = emulated_payload()
    bodies = distinct_bodies(template, conversation_id, count, "k")
    ids = conversation_ids(bodies)
    env = server_env(work, database_url)
    log = work / "server.log"
    port = free_port()
    proc = start(env, port, log)
    acked: set[int] = set()

    def on_answer(outcome: Outcome) -> None:
        if outcome.status is not None and 200 <= outcome.status < 300:
            acked.add(outcome.index)
            if len(acked) == kill_after and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)

    try:
        burst = asyncio.run(post_all(port, bodies, concurrency, on_answer=on_answer))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    killed = proc.returncode == -signal.SIGKILL
    refused = [o for o in burst.outcomes if o.status is not None and not 200 <= o.status < 300]
    proc = start(env, port, log)
    try:
        after_kill = asyncio.run(drain(database_url, drain_timeout_s))
        unanswered = [i for i in range(count) if i not in acked]
        report = Report(
            sent=count,
            acked=len(acked),
            unanswered=len(unanswered),
            unanswered_stored=sum(after_kill.events[ids[i]] > 0 for i in unanswered),
        )
        report.check(killed, f"server killed with SIGKILL after {kill_after} answers")
        report.check(not refused, f"answers other than 2xx before the kill: {len(refused)}")
        report.check(
            0 < len(acked) < count, f"answered 2xx before the kill: {len(acked)} of {count}"
        )
        report.lines.append(
            f"  [info] no answer: {len(unanswered)}, of which stored anyway: "
            f"{report.unanswered_stored} (committed, then killed before the answer was sent)"
        )
        report.lines.append(
            f"  [info] processing jobs run again after the kill: {after_kill.reruns} "
            "(their first run was cut off before its commit)"
        )
        check_once(report, after_kill, [ids[i] for i in sorted(acked)], "answered 2xx")
        check_whole_store(report, after_kill)
        again = asyncio.run(post_all(port, bodies, concurrency))
        statuses = Counter(o.status for o in again.outcomes)
        report.check(statuses == Counter({200: count}), f"redelivery answers: {dict(statuses)}")
        said = Counter(json.loads(o.body)["status"] for o in again.outcomes if o.status == 200)
        before = sum(after_kill.events[c] > 0 for c in ids)
        report.check(
            said["duplicate"] == before,
            f"redelivery: {said['duplicate']} answered duplicate ({before} were stored), "
            f"{said['stored']} stored now",
        )
        final = asyncio.run(drain(database_url, drain_timeout_s))
        check_once(report, final, ids, "after redelivery, all")
        check_whole_store(report, final)
    finally:
        stop(proc)
    return report


# ---------------------------------------------------------------------------------------------
# Command line


def migrate(database_url: str, work: Path) -> None:
    env = server_env(work, database_url)
    subprocess.run([parley_bin(), "db", "upgrade"], env=env, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000, help="webhooks in the burst (5000)")
    parser.add_argument("--kill-after", type=int, help="2xx answers before SIGKILL (40%%)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL")
    parser.add_argument("--pg-admin-db", default="test", help="database psql connects to (test)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    raise_open_files(4 * args.concurrency + 256)
    results: list[tuple[str, Report, float]] = []
    kw: dict[str, Any] = {
        "count": args.count,
        "kill_after": args.kill_after,
        "concurrency": args.concurrency,
    }
    with tempfile.TemporaryDirectory(prefix="parley-kill-") as tmp:
        work = Path(tmp)
        if not args.no_sqlite:
            (work / "sqlite").mkdir()
            url = f"sqlite+aiosqlite:///{work / 'sqlite' / 'data' / 'parley.db'}"
            migrate(url, work / "sqlite")
            began = time.monotonic()
            report = study(url, work / "sqlite", **kw)
            results.append(("SQLite", report, time.monotonic() - began))
            print(report.render("SQLite"), flush=True)
        if args.postgres:
            from plan_apply import Postgres, Python

            pg = Postgres(args.postgres, args.pg_admin_db)
            (work / "pg").mkdir()
            with pg.env("kill", work / "pg", Python("warm", work / "pycache")) as pg_env:
                url = pg_env["PARLEY_DATABASE_URL"]
                migrate(url, work / "pg")
                began = time.monotonic()
                report = study(url, work / "pg", **kw)
                results.append(("PostgreSQL", report, time.monotonic() - began))
                print(report.render("PostgreSQL"), flush=True)
    print()
    for label, report, took in results:
        print(
            f"{label}: {'PASS' if report.passed else 'FAIL'}: {report.sent} sent, "
            f"{report.acked} answered 2xx before SIGKILL, {report.unanswered} unanswered "
            f"({report.unanswered_stored} of them stored anyway), {took:.0f} s"
        )
    sys.exit(0 if all(r.passed for _, r, _ in results) else 1)


if __name__ == "__main__":
    main()
