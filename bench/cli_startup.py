"""Cold start of the `parley` CLI, measured against the interpreter's own start.

Times `parley --help` and `parley agents --help` as fresh processes, interleaved in one run with
`python -c pass` on the same venv interpreter, so a busy or slow machine shifts all three
alike and the difference of medians is the cost Parley adds. Goal: `parley --help` under 250 ms
above `python -c pass`.

By default bytecode is cached in a private folder that the warm-ups fill (`--pycache warm`, the
state after a normal install's first run); `--pycache off` writes no .pyc, so every module
without one on disk is compiled in every process.

Run from the repository root:

    .venv/bin/python bench/cli_startup.py            # 30 timed runs each after 3 warm-ups
    .venv/bin/python bench/cli_startup.py --runs 100
    .venv/bin/python bench/cli_startup.py --pycache off   # write no .pyc (see --help)

Prints a Markdown table and writes bench/results/cli_startup.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    PYCACHE_HELP,
    PYCACHE_MODES,
    clean_env,
    machine,
    machine_line,
    median,
    p90,
    table,
    tool,
    write_json,
)

GOAL_MS = 250.0
BASELINE = "python -c pass"


def commands() -> dict[str, list[str]]:
    parley = str(tool("parley"))
    return {
        BASELINE: [sys.executable, "-c", "pass"],
        "parley --help": [parley, "--help"],
        "parley agents --help": [parley, "agents", "--help"],
    }


def once(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds from spawn to exit of one process; its output is discarded."""
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited with {done.returncode}")
    return elapsed


def measure(runs: int, warmups: int, pycache: str) -> dict[str, list[float]]:
    cmds = commands()
    names = list(cmds)
    samples: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        # An empty data dir and working dir: no parley.toml or user database is ever read.
        env = clean_env(pycache, Path(tmp) / "pycache", PARLEY_DATA_DIR=str(Path(tmp) / "data"))
        cwd = Path(tmp)
        for _ in range(warmups):
            for name in names:
                once(cmds[name], env, cwd)
        for i in range(runs):
            # Rotate the order each round so no command always runs right after another.
            for name in names[i % len(names) :] + names[: i % len(names)]:
                samples[name].append(once(cmds[name], env, cwd))
    return samples


def summarise(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    base = median(samples[BASELINE])
    out = {}
    for name, values in samples.items():
        mid = median(values)
        out[name] = {
            "median_ms": mid * 1000,
            "p90_ms": p90(values) * 1000,
            "min_ms": min(values) * 1000,
            "max_ms": max(values) * 1000,
            "above_python_ms": (mid - base) * 1000,
        }
    return out


def report(summary: dict[str, dict[str, float]], runs: int, warmups: int) -> str:
    rows = []
    for name, s in summary.items():
        extra = "-" if name == BASELINE else f"{s['above_python_ms']:+.0f}"
        rows.append(
            [
                f"`{name}`",
                f"{s['median_ms']:.0f}",
                f"{s['p90_ms']:.0f}",
                f"{s['min_ms']:.0f}",
                extra,
            ]
        )
    head = ["command", "median ms", "p90 ms", "min ms", "median above python ms"]
    above = summary["parley --help"]["above_python_ms"]
    verdict = "met" if above < GOAL_MS else "NOT met"
    return (
        f"{runs} timed runs each, interleaved, after {warmups} warm-up round(s).\n\n"
        f"{table(head, rows)}\n\n"
        f"Goal `parley --help` < {GOAL_MS:.0f} ms above `{BASELINE}`: "
        f"{above:.0f} ms, {verdict}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per command (30)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed rounds first (3)")
    parser.add_argument("--pycache", choices=PYCACHE_MODES, default="warm", help=PYCACHE_HELP)
    args = parser.parse_args()
    if args.runs < 1 or args.warmups < 0:
        parser.error("--runs must be at least 1 and --warmups at least 0")

    info = machine()
    samples = measure(args.runs, args.warmups, args.pycache)
    summary = summarise(samples)
    print(f"Machine: {machine_line(info)}\n")
    print(f"Bytecode cache: {args.pycache}")
    print(report(summary, args.runs, args.warmups))
    data: dict[str, Any] = {
        "benchmark": "cli_startup",
        "machine": info,
        "runs": args.runs,
        "warmups": args.warmups,
        "pycache": args.pycache,
        "goal_ms_above_python": GOAL_MS,
        "summary": summary,
        "samples_ms": {name: [v * 1000 for v in values] for name, values in samples.items()},
    }
    path = write_json("cli_startup.json", data)
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
