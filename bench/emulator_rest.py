"""REST throughput of the emulator's agent read, against bare ASGI apps served the same way.

Starts the real `parley emulate` console script on a free port, creates one agent of typical
size over REST (a prompt of about 900 characters, first message, client events, evaluation
criteria and data collection), saves the emulator's answer to GET
/elevenlabs/v1/convai/agents/{agent_id} and then, one server at a time, measures:

- `parley emulate`: the emulator (uvicorn.run inside the console script),
- `bare Starlette`: `python -m uvicorn bare_asgi:starlette_app`, one route sending those bytes,
- `bare FastAPI`: `python -m uvicorn bare_asgi:fastapi_app`, one FastAPI route returning the
  same JSON as a dict (validated and serialised per request, as the emulator's routes are).

All three run on the venv's uvicorn with the same defaults (the pure-Python h11 HTTP parser and
the asyncio loop, since neither httptools nor uvloop is installed; log level warning), answer
the same request with the same bytes, and are checked to do so before the load starts.

The load generator is pure Python: `--concurrency` keep-alive HTTP/1.1 connections on raw
asyncio streams (a request in flight on each at all times, no pipelining), in `--processes`
processes, for `--seconds` after `--warmup` seconds that are not counted. A minimal client is
used because httpx.AsyncClient spent about 1.6 ms of CPU per request at 50 connections (against
about 0.1-0.3 ms for these servers; see docs/benchmarks.md). The report
gives the server's and the load generator's CPU use over the measured window: a server near
100 % of one CPU is the bottleneck, a load generator near 100 % per process means the client is.
Servers are measured in turn, `--rounds` times (interleaved); requests/s is the median of the
rounds, latency percentiles pool all rounds.

Run from the repository root:

    .venv/bin/python bench/emulator_rest.py                 # 50 connections, 10 s, 2 rounds
    .venv/bin/python bench/emulator_rest.py --concurrency 100 --seconds 20 --processes 2

Prints a Markdown table and writes bench/results/emulator_rest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from _common import clean_env, machine, machine_line, median, percentile, table, tool, write_json
from _servers import (
    cpu_seconds,
    free_port,
    machine_busy_seconds,
    server,
    source_env,
    status_kib,
)

API_KEY = "bench-key"
BENCH = Path(__file__).resolve().parent
EMULATOR = "parley emulate"
PROMPT = (
    "You are Maya, the support agent of Northwind Energy, a home electricity and gas supplier. "
    "You help {{customer_name}} with meter readings, bills, payment plans and moving home. "
    "Greet the caller by name, confirm their account number ({{account_number}}) before "
    "discussing any account detail, and never read out full card numbers. Keep answers short: "
    "two sentences at most, then ask whether that helps. If the caller asks about a bill, "
    "explain the period it covers, the tariff, the standing charge and the unit rate, and "
    "offer a payment plan when the balance is above 200 pounds. If the caller is moving, take "
    "the moving date and the new address and tell them a final bill follows within two weeks. "
    "If the caller is upset, apologise once, stay calm, and offer a call back from a team "
    "leader. End the call politely when the caller has nothing else to ask."
)


def agent_body() -> dict[str, Any]:
    return {
        "name": "Northwind support",
        "tags": ["support", "bench"],
        "conversation_config": {
            "agent": {
                "first_message": "Hello {{customer_name}}, this is Maya from Northwind Energy.",
                "language": "en",
                "prompt": {"prompt": PROMPT, "llm": "gemini-2.0-flash", "temperature": 0.3},
            },
            "conversation": {"client_events": ["ping", "agent_response", "user_transcript"]},
        },
        "platform_settings": {
            "evaluation": {
                "criteria": [
                    {
                        "id": "resolved",
                        "name": "Resolved",
                        "conversation_goal_prompt": "The caller's question was answered.",
                    }
                ]
            },
            "data_collection": {
                "topic": {"type": "string", "description": "What the call was about."},
                "moving_date": {"type": "string", "description": "Moving date, if any."},
            },
        },
    }


# ---------------------------------------------------------------------------------------------
# Load generator (runs in its own process: `emulator_rest.py --loadgen CONFIG_JSON`)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _connection(
    config: dict[str, Any],
    request: bytes,
    window: tuple[float, float],
    latencies: list[float],
    errors: Counter[str],
) -> None:
    """One keep-alive connection sending requests back to back until the window closes."""
    start, end = window
    expected = config["body_length"]
    reader = writer = None
    while time.perf_counter() < end:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", config["port"])
            assert reader is not None
            sent = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
            done = time.perf_counter()
            if not head.startswith(b"HTTP/1.1 200 ") or len(body) != expected:
                errors[f"status {head[9:12].decode()} / {len(body)} bytes"] += 1
            elif start <= done < end:
                latencies.append(done - sent)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            errors[f"{type(exc).__name__}: {exc}"] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def loadgen(config: dict[str, Any]) -> dict[str, Any]:
    request = (
        f"GET {config['path']} HTTP/1.1\r\nHost: 127.0.0.1:{config['port']}\r\n"
        f"xi-api-key: {API_KEY}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    # All processes start together at an agreed wall-clock time; timing uses perf_counter.
    await asyncio.sleep(max(0.0, config["start_at"] - time.time()))
    begin = time.perf_counter()
    window = (begin + config["warmup"], begin + config["warmup"] + config["seconds"])
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    tasks = [
        asyncio.create_task(_connection(config, request, window, latencies, errors))
        for _ in range(config["concurrency"])
    ]
    await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
    cpu0, server0 = _own_cpu(), cpu_seconds(config["server_pid"])
    machine0, wall0 = machine_busy_seconds(), time.perf_counter()
    await asyncio.sleep(max(0.0, window[1] - time.perf_counter()))
    cpu1, server1 = _own_cpu(), cpu_seconds(config["server_pid"])
    machine1, wall1 = machine_busy_seconds(), time.perf_counter()
    await asyncio.gather(*tasks)
    return {
        "requests": len(latencies),
        "latencies_ms": [x * 1000 for x in latencies],
        "errors": dict(errors),
        "own_cpu": (cpu1 - cpu0) / (wall1 - wall0),
        "server_cpu": (server1 - server0) / (wall1 - wall0),
        "machine_cpu": (machine1 - machine0) / (wall1 - wall0),
    }


def loadgen_main(config_json: str) -> None:
    config = json.loads(config_json)
    result = asyncio.run(loadgen(config))
    Path(config["out"]).write_text(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# Orchestration


def drive(
    args: argparse.Namespace, port: int, path: str, pid: int, body_length: int, tmp: Path
) -> dict[str, Any]:
    """Run the load generator processes against one server; their results combined."""
    start_at = time.time() + 1.0
    procs, outs = [], []
    shares = [args.concurrency // args.processes] * args.processes
    for i in range(args.concurrency % args.processes):
        shares[i] += 1
    for i, share in enumerate(shares):
        out = tmp / f"rest-loadgen-{i}.json"
        config = {
            "port": port,
            "path": path,
            "server_pid": pid,
            "body_length": body_length,
            "concurrency": share,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "start_at": start_at,
            "out": str(out),
        }
        cmd = [sys.executable, str(Path(__file__).resolve()), "--loadgen", json.dumps(config)]
        procs.append(subprocess.Popen(cmd, cwd=tmp))
        outs.append(out)
    limit = time.monotonic() + args.warmup + args.seconds + 60
    for proc in procs:
        code = proc.wait(max(1.0, limit - time.monotonic()))
        if code != 0:
            sys.exit(f"a load generator exited with {code}")
    parts = [json.loads(out.read_text()) for out in outs]
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part["errors"])
    requests = sum(p["requests"] for p in parts)
    return {
        "requests": requests,
        "rps": requests / args.seconds,
        "latencies_ms": [x for p in parts for x in p["latencies_ms"]],
        "errors": dict(errors),
        "loadgen_cpu_per_process": [p["own_cpu"] for p in parts],
        "server_cpu": parts[0]["server_cpu"],
        # What the whole machine did, less this server and these load generators.
        "other_cpu": parts[0]["machine_cpu"]
        - parts[0]["server_cpu"]
        - sum(p["own_cpu"] for p in parts),
    }


def create_agent(base: str) -> str:
    created = httpx.post(
        f"{base}/elevenlabs/v1/convai/agents/create",
        json=agent_body(),
        headers={"xi-api-key": API_KEY},
        timeout=10,
    )
    created.raise_for_status()
    agent_id: str = created.json()["agent_id"]
    return agent_id


def _stable(agent: dict[str, Any]) -> dict[str, Any]:
    """An agent without its creation and update times (a fresh emulator's differ)."""
    metadata = {
        k: v for k, v in (agent.get("metadata") or {}).items() if not k.endswith("_unix_secs")
    }
    return {**agent, "metadata": metadata}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as name:
        tmp = Path(name)
        env = clean_env("warm", tmp / "pycache")
        emulator_env, measured = source_env(env, args.commit, tmp / "snapshot")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        headers = {"xi-api-key": API_KEY}
        emulate = [str(tool("parley")), "emulate", "--host", "127.0.0.1", "--port", str(port)]
        emulate += ["--seed", str(args.seed)]

        # The agent and the emulator's answer, which the bare apps send back verbatim. With the
        # same seed, the first agent a fresh emulator creates always gets the same id.
        with server(emulate, emulator_env, tmp, f"{base}/_emulator/state"):
            agent_id = create_agent(base)
            path = f"/elevenlabs/v1/convai/agents/{agent_id}"
            answer = httpx.get(base + path, headers=headers, timeout=10)
            answer.raise_for_status()
        body = answer.content
        (tmp / "agent.json").write_bytes(body)
        expected = json.loads(body)

        uvicorn = [sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH)]
        uvicorn += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        body_env = {"BENCH_BODY": str(tmp / "agent.json")}
        servers = {
            EMULATOR: (emulate, emulator_env, f"{base}/_emulator/state"),
            "bare Starlette": ([*uvicorn, "bare_asgi:starlette_app"], {**env, **body_env}, ""),
            "bare FastAPI": ([*uvicorn, "bare_asgi:fastapi_app"], {**env, **body_env}, ""),
        }
        results: dict[str, list[dict[str, Any]]] = {label: [] for label in servers}
        rss: dict[str, dict[str, int]] = {}
        for _ in range(args.rounds):
            for label, (cmd, server_env, ready) in servers.items():
                with server(cmd, server_env, tmp, ready or base + path, headers=headers) as proc:
                    if label == EMULATOR and create_agent(base) != agent_id:
                        sys.exit("a fresh emulator gave the agent another id")
                    check = httpx.get(base + path, headers=headers, timeout=10)
                    if check.status_code != 200 or _stable(check.json()) != _stable(expected):
                        sys.exit(f"{label} did not answer {path} with the emulator's agent")
                    results[label].append(drive(args, port, path, proc.pid, len(body), tmp))
                    rss[label] = status_kib(proc.pid)
    return {
        "measured_src": measured,
        "agent_id": agent_id,
        "body_bytes": len(body),
        "results": results,
        "server_rss_kib": rss,
    }


def summarise(results: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out = {}
    for label, rounds in results.items():
        latencies = [x for r in rounds for x in r["latencies_ms"]]
        errors: Counter[str] = Counter()
        for r in rounds:
            errors.update(r["errors"])
        out[label] = {
            "rps_median": median([r["rps"] for r in rounds]),
            "rps_rounds": [r["rps"] for r in rounds],
            "p50_ms": percentile(latencies, 50) if latencies else float("nan"),
            "p99_ms": percentile(latencies, 99) if latencies else float("nan"),
            "max_ms": max(latencies, default=float("nan")),
            "errors": dict(errors),
            "server_cpu": median([r["server_cpu"] for r in rounds]),
            "loadgen_cpu": median([max(r["loadgen_cpu_per_process"]) for r in rounds]),
            "other_cpu": median([r["other_cpu"] for r in rounds]),
            # Server CPU time per answered request: the cost that does not depend on the client.
            "server_us_per_request": median(
                [r["server_cpu"] / r["rps"] * 1e6 for r in rounds if r["rps"]] or [float("nan")]
            ),
        }
    return out


def report(summary: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    emulator = summary[EMULATOR]["rps_median"]
    rows = []
    for label, s in summary.items():
        ratio = "-" if label == EMULATOR else f"{emulator / s['rps_median']:.2f}"
        rows.append(
            [
                f"`{label}`",
                f"{s['rps_median']:.0f}",
                " / ".join(f"{x:.0f}" for x in s["rps_rounds"]),
                f"{s['p50_ms']:.1f}",
                f"{s['p99_ms']:.1f}",
                str(sum(s["errors"].values())),
                f"{s['server_cpu'] * 100:.0f}",
                f"{s['server_us_per_request']:.0f}",
                f"{s['loadgen_cpu'] * 100:.0f}",
                f"{s['other_cpu'] * 100:.0f}",
                ratio,
            ]
        )
    head = [
        "server",
        "requests/s (median)",
        "rounds",
        "p50 ms",
        "p99 ms",
        "errors",
        "server CPU %",
        "server CPU µs/request",
        "load generator CPU % (busiest process)",
        "other processes CPU %",
        "emulator / this",
    ]
    lines = [
        f"{args.concurrency} connections in {args.processes} load-generator process(es), "
        f"{args.seconds:g} s measured after {args.warmup:g} s warm-up, {args.rounds} round(s).",
        "",
        table(head, rows),
    ]
    for label, s in summary.items():
        if s["errors"]:
            lines.append(f"{label} errors: {s['errors']}")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--loadgen":
        loadgen_main(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50, help="open connections (50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds first (2)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over the servers (2)")
    parser.add_argument(
        "--processes", type=int, default=1, help="load-generator processes sharing the load (1)"
    )
    parser.add_argument(
        "--commit",
        metavar="REV",
        help="run the emulator on src/ as committed at REV (git archive), not the working tree",
    )
    parser.add_argument("--seed", type=int, default=0, help="emulator seed (0)")
    args = parser.parse_args()
    if min(args.concurrency, args.rounds, args.processes) < 1 or args.seconds <= 0:
        parser.error("--concurrency, --rounds, --processes and --seconds must be positive")
    if args.processes > args.concurrency:
        parser.error("--processes must not exceed --concurrency")

    info = machine()
    data = measure(args)
    summary = summarise(data["results"])
    print(f"Machine: {machine_line(info)}")
    print(f"Emulator code: {data['measured_src']}; response body {data['body_bytes']} bytes\n")
    print(report(summary, args))
    path = write_json(
        "emulator_rest.json",
        {
            "benchmark": "emulator_rest",
            "machine": info,
            "args": vars(args),
            "summary": summary,
            **data,
        },
    )
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
