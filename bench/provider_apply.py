"""Applying 200 agents to both emulated providers: wall time and requests, vs a sequential run.

Starts `parley emulate` on a free local port, generates N agent specs (default 200, both
targets; `--count`), records them as Parley versions in a fresh SQLite database, then times
`parley.agents.remote.apply` (what `parley agents apply --target all` runs) twice, each on a
fresh emulator state and database:

- concurrent: the shipped limits (bounded concurrency and pacing per provider);
- sequential: the same code with one request in flight per provider (the baseline);

then both again with pacing lifted (`--rps`), to see what concurrency alone buys. Every
provider request gets `--latency-ms` of added round trip (an emulator latency fault): the real
APIs are a network away, and a local emulator answering in a millisecond would hide that.

It also times `remote.plan` for all N agents against the live emulator state afterwards.
Requests are counted at the transport (`Resilience.attempts`), retries included.

    .venv/bin/python bench/provider_apply.py [--count 200] [--latency-ms 100] [--rps 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from _common import machine, machine_line, table, tool, write_json
from parley.agents import remote, service
from parley.agents.validate import check_paths
from parley.config import settings_with
from parley.db import migrate
from parley.db.engine import create_engine, session_factory, session_scope
from parley.providers.registry import LIMITS, Providers
from parley.providers.resilience import Resilience
from plan_apply import write_specs


def start_emulator(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(tool("parley")), "emulate", "--port", str(port), "--seed", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_emulator/state", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    sys.exit("parley emulate did not start")


def strip_references(folder: Path) -> None:
    """Agents only: tools and knowledge are resources with their own apply (not timed here)."""
    for path in folder.glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        data.pop("tools", None)
        data.pop("knowledge", None)
        path.write_text(yaml.safe_dump(data, sort_keys=False))


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def one_run(
    specs_dir: Path, work: Path, url: str, sequential: bool, rps: float | None
) -> dict[str, Any]:
    conf = settings_with(
        data_dir=work,
        database_url=f"sqlite+aiosqlite:///{work / 'bench.db'}",
        elevenlabs_api_key="xi-bench",
        elevenlabs_base_url=f"{url}/elevenlabs",
        ultravox_api_key="uv-bench",
        ultravox_base_url=f"{url}/ultravox",
        voice_cache_ttl_s=3600,
    )
    engine = create_engine(conf.resolved_database_url)
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    specs = [service.SourcedSpec(s) for s in check_paths([specs_dir]).valid]
    async with session_scope(sessions) as session:
        await service.apply(session, specs, author="bench")
        desired = await remote.desired_for(session, [s.spec.name for s in specs])
    resilience = {
        name: Resilience(
            name,
            max_concurrency=1 if sequential else concurrency,
            requests_per_second=rps or rate,
            burst=20,
        )
        for name, (concurrency, rate) in LIMITS.items()
    }
    async with Providers(conf, resilience=resilience) as providers:
        started = time.perf_counter()
        async with session_scope(sessions) as session:
            items = await remote.apply(session, providers, desired, author="bench")
        apply_s = time.perf_counter() - started
        requests = sum(r.attempts for r in resilience.values())
        started = time.perf_counter()
        async with session_scope(sessions) as session:
            planned = await remote.plan(session, providers, desired)
        plan_s = time.perf_counter() - started
        plan_requests = sum(r.attempts for r in resilience.values()) - requests
    await engine.dispose()
    failed = [i for i in items if i.action not in ("create",)]
    unchanged = sum(i.action == "unchanged" for i in planned)
    return {
        "mode": ("sequential" if sequential else "concurrent")
        + (f", {rps:.0f} req/s" if rps else ", shipped pacing"),
        "targets": len(items),
        "failed_or_other": len(failed),
        "apply_s": apply_s,
        "apply_requests": requests,
        "plan_s": plan_s,
        "plan_requests": plan_requests,
        "plan_unchanged": unchanged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=100,
        help="network round trip added to every provider request (real APIs are not local)",
    )
    parser.add_argument(
        "--rps",
        type=float,
        default=2000.0,
        help="pacing for the second pair of runs, to see concurrency without the rate cap",
    )
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    work = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    process = start_emulator(port)
    try:
        specs_dir = work / "specs"
        write_specs(specs_dir, args.count)
        strip_references(specs_dir)
        runs = []
        for rps in (None, args.rps):
            for sequential in (False, True):
                run_dir = work / f"{'seq' if sequential else 'conc'}-{rps}"
                run_dir.mkdir()
                httpx.post(f"{url}/_emulator/reset", json={"seed": 1}).raise_for_status()
                for prefix in ("/elevenlabs/*", "/ultravox/*"):
                    fault = {"kind": "latency", "path": prefix, "latency_ms": args.latency_ms}
                    httpx.post(f"{url}/_emulator/faults", json=fault).raise_for_status()
                runs.append(asyncio.run(one_run(specs_dir, run_dir, url, sequential, rps)))
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    info = machine()
    rows = [
        [
            r["mode"],
            str(r["targets"]),
            f"{r['apply_s']:.2f}",
            str(r["apply_requests"]),
            f"{r['apply_requests'] / r['apply_s']:.0f}",
            f"{r['plan_s']:.2f}",
            str(r["plan_requests"]),
            f"{r['plan_unchanged']}/{r['targets']}",
            str(r["failed_or_other"]),
        ]
        for r in runs
    ]
    print(machine_line(info))
    print(
        table(
            ["mode", "agent x target", "apply s", "requests", "req/s", "plan s",
             "plan requests", "plan unchanged", "not created"],
            rows,
        )
    )  # fmt: skip
    for pair in (runs[0:2], runs[2:4]):
        speedup = pair[1]["apply_s"] / pair[0]["apply_s"]
        print(f"{pair[0]['mode']}: {speedup:.1f}x faster than {pair[1]['mode']}")
    write_json("provider_apply", {"machine": info, "count": args.count, "runs": runs})


if __name__ == "__main__":
    main()
