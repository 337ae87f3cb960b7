"""The emulator's ElevenLabs conversation WebSocket with 1,000 conversations open at once.

Starts the real `parley emulate` console script on a free port, creates one agent over REST
(first message, prompt, client events ping/agent_response/user_transcript), then runs a load
generator in a separate process (asyncio and the `websockets` client, as the ElevenLabs Python
SDK uses it: permessage-deflate on, 20 s keepalive pings). For each size N (a small baseline,
then 1,000 by default, the per-workspace concurrency cap ElevenLabs documents) it

1. opens N conversations in batches (`--batch`, each batch waits until all of its sockets have
   the agent's greeting): connect, send `conversation_initiation_client_data`, read the
   greeting's `agent_response`;
2. with all N open, every conversation sends T `user_message` turns (`--turns`), waiting for
   the `agent_response` to each and then "thinking" for `--think-s` seconds, drawn uniformly
   from 0.5x to 1.5x (the first turn starts at a random point in the first think period, so
   turns do not arrive in lockstep); every `ping` is answered with a `pong` at once;
3. sends a farewell ("bye"); the agent answers with its goodbye and closes the socket after the
   emulator's hangup grace (0.25 s), which no latency here includes.

Event latency is the time from sending a `user_message` to receiving its `agent_response` (each
reply is checked to quote the user's text). The run fails (exit status 1) unless all N sockets
were open together for the whole turn phase (peak == N, nothing closed early), every turn was
answered and nothing went wrong. The report adds the server's RSS (before, with all N open, and
its peak VmHWM), the CPU use of the server, of the load generator and of everything else on the
machine, the load generator's own event-loop lag (its garbage collector is off while it
measures), and every pause of the server's garbage collector, logged by a probe loaded into the
server at start-up (bench/_gc_probe/sitecustomize.py; `--server-gc off` switches the collector
off there, as a diagnostic). Goal: p99 event latency under 50 ms with 1,000 concurrent
conversations.

Run from the repository root:

    .venv/bin/python bench/emulator_ws.py                    # N = 10 (baseline), then 1000
    .venv/bin/python bench/emulator_ws.py --connections 500 --turns 10 --think-s 0.5
    .venv/bin/python bench/emulator_ws.py --think-s 0        # closed loop: saturation
    .venv/bin/python bench/emulator_ws.py --commit HEAD      # src/ as committed, not the tree

Prints Markdown tables and writes bench/results/emulator_ws.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _common import clean_env, machine, machine_line, median, percentile, table, tool, write_json
from _servers import (
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    raise_open_files,
    server,
    source_env,
    status_kib,
)

GOAL_P99_MS = 50.0
API_KEY = "bench-key"  # the emulator accepts any non-empty xi-api-key by default
EVENTS = ["ping", "agent_response", "user_transcript"]
GREETING = "Hello, this is the benchmark line. How can I help you today?"
FAREWELL = "Thanks, that is all. Bye!"
RECEIVE_TIMEOUT_S = 30.0  # one reply, the greeting or a close may take at most this long

# ---------------------------------------------------------------------------------------------
# Load generator (runs in its own process: `emulator_ws.py --loadgen CONFIG_JSON`)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Stats:
    open_now: int = 0
    peak_open: int = 0
    handshake_ms: list[float] = field(default_factory=list)
    ready_ms: list[float] = field(default_factory=list)
    turn_ms: list[float] = field(default_factory=list)
    farewell_ms: list[float] = field(default_factory=list)
    close_ms: list[float] = field(default_factory=list)
    close_codes: Counter[int | None] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    failed_connections: int = 0
    pongs: int = 0
    lag_ms: list[float] = field(default_factory=list)
    server_rss_max_kib: int = 0


class Caller:
    """One conversation: a reader task answers pings and hands agent responses to `say`."""

    def __init__(self, index: int, stats: Stats) -> None:
        self.index = index
        self.stats = stats
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.waiter: asyncio.Future[tuple[float, str]] | None = None
        self.close_code: int | None = None

    async def open(self, url: str, compression: str | None) -> None:
        from websockets.asyncio.client import connect

        start = time.perf_counter()
        self.ws = await connect(
            url, max_size=16 * 1024 * 1024, compression=compression, open_timeout=RECEIVE_TIMEOUT_S
        )
        shook = time.perf_counter()
        self.stats.open_now += 1
        self.stats.peak_open = max(self.stats.peak_open, self.stats.open_now)
        self.waiter = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read())
        initiation = {
            "type": "conversation_initiation_client_data",
            "dynamic_variables": {"caller": f"caller-{self.index}"},
        }
        await self.ws.send(json.dumps(initiation))
        _, text = await asyncio.wait_for(self.waiter, RECEIVE_TIMEOUT_S)
        ready = time.perf_counter()
        if text != GREETING:
            self.stats.errors["wrong greeting"] += 1
        self.stats.handshake_ms.append((shook - start) * 1000)
        self.stats.ready_ms.append((ready - start) * 1000)

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    event_id = message["ping_event"]["event_id"]
                    await self.ws.send(json.dumps({"type": "pong", "event_id": event_id}))
                    self.stats.pongs += 1
                elif kind == "agent_response":
                    now = time.perf_counter()
                    text = message["agent_response_event"]["agent_response"]
                    if self.waiter is not None and not self.waiter.done():
                        self.waiter.set_result((now, text))
                    else:
                        self.stats.errors["agent_response nobody waited for"] += 1
                elif kind == "error":
                    self.stats.errors[f"error event: {message.get('error_event')}"] += 1
        except ConnectionClosed:
            pass
        finally:
            self.stats.open_now -= 1
            self.close_code = self.ws.close_code
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_exception(ConnectionError(f"closed with {self.close_code}"))

    async def say(self, text: str) -> tuple[float, str]:
        """Send a user message; milliseconds until its agent_response, and the response."""
        self.waiter = asyncio.get_running_loop().create_future()
        start = time.perf_counter()
        await self.ws.send(json.dumps({"type": "user_message", "text": text}))
        received, reply = await asyncio.wait_for(self.waiter, RECEIVE_TIMEOUT_S)
        return (received - start) * 1000, reply

    async def abandon(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


async def _conversation_turns(
    caller: Caller, turns: int, think_s: float, rng: random.Random
) -> bool:
    stats = caller.stats
    await asyncio.sleep(rng.uniform(0, think_s))
    for turn in range(turns):
        text = f"Turn {turn} from caller {caller.index}: what are my options?"
        try:
            ms, reply = await caller.say(text)
        except (TimeoutError, ConnectionError, OSError) as exc:
            stats.errors[f"turn: {type(exc).__name__}: {exc}"] += 1
            return False
        stats.turn_ms.append(ms)
        if text not in reply:
            stats.errors["reply does not quote the user"] += 1
        if turn < turns - 1:
            await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))
    return True


async def _farewell(caller: Caller, think_s: float, rng: random.Random) -> None:
    stats = caller.stats
    await asyncio.sleep(rng.uniform(0, think_s))
    try:
        ms, reply = await caller.say(FAREWELL)
    except (TimeoutError, ConnectionError, OSError) as exc:
        stats.errors[f"farewell: {type(exc).__name__}: {exc}"] += 1
        await caller.abandon()
        return
    stats.farewell_ms.append(ms)
    if "Goodbye" not in reply:
        stats.errors["farewell not answered with a goodbye"] += 1
    answered = time.perf_counter()
    assert caller.reader is not None
    try:
        await asyncio.wait_for(asyncio.shield(caller.reader), RECEIVE_TIMEOUT_S)
    except TimeoutError:
        stats.errors["no close after the goodbye"] += 1
        await caller.abandon()
        return
    stats.close_ms.append((time.perf_counter() - answered) * 1000)
    stats.close_codes[caller.close_code] += 1


async def _watch(stats: Stats, server_pid: int, lag: asyncio.Event) -> None:
    """Sample the server's RSS, and this loop's lag while `lag` is set (10 ms sleeps)."""
    last_rss = 0.0
    while True:
        before, measuring = time.perf_counter(), lag.is_set()
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        if measuring and lag.is_set():
            stats.lag_ms.append((now - before - 0.01) * 1000)
        if now - last_rss >= 0.25:
            last_rss = now
            rss = status_kib(server_pid)["VmRSS"]
            stats.server_rss_max_kib = max(stats.server_rss_max_kib, rss)


async def loadgen(config: dict[str, Any]) -> dict[str, Any]:
    n, batch, turns, think_s = (
        config["connections"],
        config["batch"],
        config["turns"],
        config["think_s"],
    )
    compression = None if config["compression"] == "none" else "deflate"
    pid = config["server_pid"]
    stats = Stats()
    rng = random.Random(config["seed"])
    marks: dict[str, dict[str, float]] = {}

    def mark(name: str) -> None:
        marks[name] = {
            "wall": time.perf_counter(),
            "epoch": time.time(),  # to place the server's GC log entries in the phases
            "server": cpu_seconds(pid),
            "own": _own_cpu(),
            "machine": machine_busy_seconds(),
        }

    lag = asyncio.Event()
    watcher = asyncio.create_task(_watch(stats, pid, lag))
    callers = [Caller(i, stats) for i in range(n)]
    alive: list[Caller] = []
    mark("start")
    for first in range(0, n, batch):
        group = callers[first : first + batch]
        results = await asyncio.gather(
            *(c.open(config["url"], compression) for c in group), return_exceptions=True
        )
        for caller, result in zip(group, results, strict=True):
            if isinstance(result, BaseException):
                stats.failed_connections += 1
                stats.errors[f"connect: {type(result).__name__}: {result}"] += 1
                await caller.abandon()
            else:
                alive.append(caller)
    mark("ramped")
    open_after_ramp = stats.open_now
    server_rss_all_open = status_kib(pid)["VmRSS"]

    # The load generator's own collector stays off while it measures (everything so far is
    # frozen out of later collections), so its pauses are not counted as the server's latency.
    gc.collect()
    gc.freeze()
    gc.disable()
    mark("turns_start")
    tasks = [asyncio.create_task(_conversation_turns(c, turns, think_s, rng)) for c in alive]
    await asyncio.sleep(0)  # starting N tasks is one long loop iteration: not counted as lag
    lag.set()
    done = await asyncio.gather(*tasks)
    mark("turns_end")
    lag.clear()
    # Sockets only close during the turn phase (none open), so N open now means N throughout.
    open_after_turns = stats.open_now

    finishing = [c for c, ok in zip(alive, done, strict=True) if ok]
    await asyncio.gather(*(c.abandon() for c, ok in zip(alive, done, strict=True) if not ok))
    await asyncio.gather(*(_farewell(c, think_s, rng) for c in finishing))
    mark("end")
    gc.enable()
    watcher.cancel()

    def cpu_share(key: str, a: str, b: str) -> float:
        return (marks[b][key] - marks[a][key]) / (marks[b]["wall"] - marks[a]["wall"])

    return {
        "connections": n,
        "turns": turns,
        "think_s": think_s,
        "batch": batch,
        "compression": config["compression"],
        "open_after_ramp": open_after_ramp,
        "open_after_turns": open_after_turns,
        "peak_open": stats.peak_open,
        "failed_connections": stats.failed_connections,
        "errors": dict(stats.errors),
        "pongs": stats.pongs,
        "close_codes": {str(k): v for k, v in stats.close_codes.items()},
        "epochs": {name: m["epoch"] for name, m in marks.items()},
        "ramp_s": marks["ramped"]["wall"] - marks["start"]["wall"],
        "turn_phase_s": marks["turns_end"]["wall"] - marks["turns_start"]["wall"],
        "server_cpu_ramp": cpu_share("server", "start", "ramped"),
        "server_cpu_turns": cpu_share("server", "turns_start", "turns_end"),
        "loadgen_cpu_turns": cpu_share("own", "turns_start", "turns_end"),
        "other_cpu_turns": cpu_share("machine", "turns_start", "turns_end")
        - cpu_share("server", "turns_start", "turns_end")
        - cpu_share("own", "turns_start", "turns_end"),
        "server_rss_all_open_kib": server_rss_all_open,
        "server_rss_max_sampled_kib": stats.server_rss_max_kib,
        "samples_ms": {
            "handshake": stats.handshake_ms,
            "ready": stats.ready_ms,
            "turn": stats.turn_ms,
            "farewell": stats.farewell_ms,
            "close_after_goodbye": stats.close_ms,
            "loadgen_loop_lag": stats.lag_ms,
        },
    }


def loadgen_main(config_json: str) -> None:
    config = json.loads(config_json)
    raise_open_files(config["connections"] + 256)
    result = asyncio.run(asyncio.wait_for(loadgen(config), config["timeout_s"]))
    Path(config["out"]).write_text(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Orchestration


def create_agent(base: str) -> str:
    body = {
        "name": "WebSocket benchmark",
        "conversation_config": {
            "agent": {
                "first_message": GREETING,
                "prompt": {"prompt": "You answer questions about the caller's account."},
            },
            "conversation": {"client_events": EVENTS},
        },
    }
    answer = httpx.post(
        f"{base}/elevenlabs/v1/convai/agents/create",
        json=body,
        headers={"xi-api-key": API_KEY},
        timeout=10,
    )
    answer.raise_for_status()
    agent_id: str = answer.json()["agent_id"]
    return agent_id


def run_loadgen(config: dict[str, Any], tmp: Path, env: dict[str, str]) -> dict[str, Any]:
    out = tmp / f"loadgen-{config['connections']}.json"
    config = {**config, "out": str(out)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--loadgen", json.dumps(config)]
    done = subprocess.run(cmd, env=env, cwd=tmp, timeout=config["timeout_s"] + 30, check=False)
    if done.returncode != 0:
        sys.exit(f"the load generator for N={config['connections']} exited with {done.returncode}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


GC_PROBE = Path(__file__).resolve().parent / "_gc_probe"
TURN_PHASE = ("turns_start", "turns_end")


def _gc_summary(collections: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """The server's collections that ended between two wall-clock times, by generation."""
    inside = [c for c in collections if start <= c["t"] <= end]
    full = [c["ms"] for c in inside if c["gen"] == 2]
    return {
        "collections": len(inside),
        "gen2": len(full),
        "gen2_ms": full,
        "longest_ms": max((c["ms"] for c in inside), default=0.0),
        "total_ms": sum(c["ms"] for c in inside),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [n for n in (args.baseline, args.connections) if n > 0]
    raise_open_files(max(sizes) + 256)  # the server inherits this limit
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as name:
        tmp = Path(name)
        env = clean_env("warm", tmp / "pycache")
        gc_log = tmp / "server-gc.jsonl"
        server_env, measured = source_env(env, args.commit, tmp / "snapshot")
        # The server alone gets the GC probe (bench/_gc_probe/sitecustomize.py).
        server_env = {
            **server_env,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(GC_PROBE), server_env.get("PYTHONPATH")])
            ),
            "BENCH_GC_LOG": str(gc_log),
            "BENCH_GC_DISABLE": "1" if args.server_gc == "off" else "0",
        }
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = [str(tool("parley")), "emulate", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--seed", str(args.seed)]
        with server(cmd, server_env, tmp, f"{base}/_emulator/state") as proc:
            rss_started = status_kib(proc.pid)["VmRSS"]
            agent_id = create_agent(base)
            url = f"ws://127.0.0.1:{port}/elevenlabs/v1/convai/conversation?agent_id={agent_id}"
            common = {
                "url": url,
                "server_pid": proc.pid,
                "compression": args.compression,
                "timeout_s": args.timeout,
                "seed": args.seed,
            }
            # Untimed warm-up: imports, first-use caches, the pycache in `tmp`.
            warm = {"connections": 5, "batch": 5, "turns": 2, "think_s": 0.0}
            run_loadgen({**common, **warm}, tmp, env)
            runs = []
            for n in sizes:
                rss_before = status_kib(proc.pid)["VmRSS"]
                plan = {"connections": n, "batch": min(args.batch, n), "turns": args.turns}
                result = run_loadgen({**common, **plan, "think_s": args.think_s}, tmp, env)
                result["server_rss_before_kib"] = rss_before
                runs.append(result)
                time.sleep(1.0)  # let the last closes and post-call work settle
            final = status_kib(proc.pid)
        collections = [json.loads(line) for line in gc_log.read_text().splitlines()]
    for run in runs:
        run["server_gc"] = {
            phase: _gc_summary(collections, run["epochs"][a], run["epochs"][b])
            for phase, (a, b) in {"ramp": ("start", "ramped"), "turns": TURN_PHASE}.items()
        }
    return {
        "measured_src": measured,
        "server_rss_started_kib": rss_started,
        "server_rss_end_kib": final["VmRSS"],
        "server_vmhwm_kib": final["VmHWM"],
        "runs": runs,
    }


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _share(run: dict[str, Any], key: str) -> str:
    """A CPU share in percent of one CPU; "-" when the turn phase was too short to tell."""
    return f"{run[key] * 100:.0f}" if run["turn_phase_s"] >= 1.0 else "-"


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f}"


def report(data: dict[str, Any]) -> str:
    runs = data["runs"]
    lat_rows, setup_rows, server_rows, gc_rows = [], [], [], []
    for run in runs:
        s = run["samples_ms"]
        turn = s["turn"] or [float("nan")]
        errors = sum(run["errors"].values())
        lat_rows.append(
            [
                str(run["connections"]),
                str(len(s["turn"])),
                _ms(percentile(turn, 50)),
                _ms(percentile(turn, 90)),
                _ms(percentile(turn, 99)),
                _ms(max(turn)),
                _ms(percentile(s["farewell"], 99)) if s["farewell"] else "-",
                str(errors),
            ]
        )
        hs, ready = s["handshake"] or [float("nan")], s["ready"] or [float("nan")]
        setup_rows.append(
            [
                str(run["connections"]),
                str(run["batch"]),
                f"{run['ramp_s']:.2f}",
                _ms(median(hs)),
                _ms(percentile(hs, 99)),
                _ms(median(ready)),
                _ms(percentile(ready, 99)),
                _ms(max(ready)),
                str(run["failed_connections"]),
            ]
        )
        lag = s["loadgen_loop_lag"] or [float("nan")]
        server_rows.append(
            [
                str(run["connections"]),
                f"{run['peak_open']} / {run['open_after_turns']}",
                _mib(run["server_rss_before_kib"]),
                _mib(run["server_rss_all_open_kib"]),
                _mib(run["server_rss_max_sampled_kib"]),
                _share(run, "server_cpu_turns"),
                _share(run, "loadgen_cpu_turns"),
                _ms(percentile(lag, 99)),
                _ms(max(lag)),
                _share(run, "other_cpu_turns"),
            ]
        )
        ramp_gc, turn_gc = run["server_gc"]["ramp"], run["server_gc"]["turns"]
        gc_rows.append(
            [
                str(run["connections"]),
                f"{ramp_gc['gen2']} · {ramp_gc['longest_ms']:.0f}",
                str(turn_gc["collections"]),
                str(turn_gc["gen2"]),
                ", ".join(f"{ms:.0f}" for ms in turn_gc["gen2_ms"]) or "-",
                _ms(turn_gc["longest_ms"]),
                _ms(turn_gc["total_ms"]),
            ]
        )
    lat_head = [
        "conversations",
        "turns",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "farewell p99 ms",
        "errors",
    ]
    setup_head = [
        "conversations",
        "batch",
        "ramp s",
        "handshake p50 ms",
        "handshake p99 ms",
        "greeting p50 ms",
        "greeting p99 ms",
        "greeting max ms",
        "failed",
    ]
    server_head = [
        "conversations",
        "peak open / open at end of turns",
        "RSS before MiB",
        "RSS all open MiB",
        "RSS max sampled MiB",
        "server CPU % (turns)",
        "load generator CPU % (turns)",
        "load generator loop lag p99 ms",
        "load generator loop lag max ms",
        "other processes CPU % (turns)",
    ]
    gc_head = [
        "conversations",
        "ramp: full collections · longest ms",
        "turns: collections",
        "turns: full (gen2)",
        "turns: gen2 pauses ms",
        "turns: longest ms",
        "turns: total ms",
    ]
    lines = [
        "Event latency (user_message sent to agent_response received):",
        "",
        table(lat_head, lat_rows),
        "",
        "Connection setup (handshake: TCP + upgrade; greeting: connect to first agent_response):",
        "",
        table(setup_head, setup_rows),
        "",
        "Server and load generator:",
        "",
        table(server_head, server_rows),
        "",
        "The server's garbage collector (every collection is a pause of its event loop):",
        "",
        table(gc_head, gc_rows),
        "",
        f"Emulator RSS after start {_mib(data['server_rss_started_kib'])} MiB, at the end "
        f"{_mib(data['server_rss_end_kib'])} MiB, "
        f"peak (VmHWM) {_mib(data['server_vmhwm_kib'])} MiB.",
    ]
    for run in runs:
        if run["errors"]:
            lines.append(f"N={run['connections']} errors: {run['errors']}")
        lines.append(
            f"N={run['connections']}: close codes {run['close_codes']}, pongs {run['pongs']}, "
            f"turn phase {run['turn_phase_s']:.1f} s, close after goodbye p50 "
            f"{_ms(median(run['samples_ms']['close_after_goodbye'] or [float('nan')]))} ms."
        )
    big = runs[-1]
    big_p99 = percentile(big["samples_ms"]["turn"] or [float("inf")], 99)
    if len(runs) > 1 and runs[0]["samples_ms"]["turn"]:
        small_p99 = percentile(runs[0]["samples_ms"]["turn"], 99)
        lines.append(
            f"p99 at N={big['connections']} / p99 at N={runs[0]['connections']}: "
            f"{big_p99 / small_p99:.1f}x"
        )
    verdict = "met" if big_p99 < GOAL_P99_MS else "NOT met"
    lines.append(
        f"Goal p99 < {GOAL_P99_MS:.0f} ms at N={big['connections']}: {big_p99:.1f} ms, {verdict}."
    )
    return "\n".join(lines)


def check(data: dict[str, Any]) -> list[str]:
    """What makes the run invalid: sockets not all open together, failures, wrong replies."""
    problems = []
    for run in data["runs"]:
        n = run["connections"]
        if run["peak_open"] != n:
            problems.append(f"N={n}: peak of open sockets {run['peak_open']} != {n}")
        if run["open_after_turns"] != n:
            problems.append(f"N={n}: only {run['open_after_turns']} open at end of turns")
        if run["errors"]:
            problems.append(f"N={n}: errors {run['errors']}")
        if len(run["samples_ms"]["turn"]) != n * run["turns"]:
            problems.append(
                f"N={n}: {len(run['samples_ms']['turn'])} turns, not {n * run['turns']}"
            )
    return problems


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--loadgen":
        loadgen_main(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--connections", type=int, default=1000, help="concurrent conversations (1000)"
    )
    parser.add_argument(
        "--baseline", type=int, default=10, help="conversations in the baseline run first (10)"
    )
    parser.add_argument("--turns", type=int, default=5, help="user turns per conversation (5)")
    parser.add_argument(
        "--think-s",
        type=float,
        default=1.0,
        help="mean pause between a reply and the next turn, drawn from 0.5x to 1.5x (1.0)",
    )
    parser.add_argument("--batch", type=int, default=50, help="connections opened at once (50)")
    parser.add_argument(
        "--compression",
        choices=("deflate", "none"),
        default="deflate",
        help="permessage-deflate as the SDK negotiates it (default), or none",
    )
    parser.add_argument(
        "--server-gc",
        choices=("default", "off"),
        default="default",
        help="off: switch the server's cyclic garbage collector off (a diagnostic, see docs)",
    )
    parser.add_argument(
        "--commit",
        metavar="REV",
        help="run the server on src/ as committed at REV (git archive), not the working tree",
    )
    parser.add_argument("--seed", type=int, default=0, help="emulator and think-time seed (0)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="limit per load-generator run, s (300)"
    )
    args = parser.parse_args()
    if args.connections < 1 or args.turns < 1 or args.batch < 1 or args.think_s < 0:
        parser.error("--connections, --turns and --batch must be positive, --think-s >= 0")

    info = machine()
    data = measure(args)
    print(f"Machine: {machine_line(info)}")
    print(f"Server code: {data['measured_src']}\n")
    print(
        f"{args.turns} turns per conversation, think {args.think_s} s (0.5x-1.5x), batches of "
        f"{args.batch}, compression {args.compression}, server GC {args.server_gc}\n"
    )
    print(report(data))
    problems = check(data)
    path = write_json(
        "emulator_ws.json",
        {
            "benchmark": "emulator_ws",
            "machine": info,
            "args": vars(args),
            "goal_p99_ms": GOAL_P99_MS,
            "problems": problems,
            **data,
        },
    )
    print(f"\nWrote {path}")
    if problems:
        sys.exit("INVALID RUN:\n" + "\n".join(problems))


if __name__ == "__main__":
    main()
