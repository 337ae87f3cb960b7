"""Helpers shared by the benchmark scripts: paths, statistics, machine facts, output.

Not a benchmark itself. The scripts in this folder import it as `_common` (Python puts the
script's own folder first on `sys.path`).
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent


def tool(name: str) -> Path:
    """A console script installed next to the running interpreter (the venv's `bin/`)."""
    path = BIN / name
    if not path.exists():
        sys.exit(f"{path} not found: run this script with the venv's python (.venv/bin/python)")
    return path


PYCACHE_MODES = ("warm", "off")
PYCACHE_HELP = (
    "warm (default): bytecode is cached in a private folder (PYTHONPYCACHEPREFIX) that the "
    "warm-ups fill, as after the first run of a normal install; off: PYTHONDONTWRITEBYTECODE=1, "
    "so only .pyc files already on disk are used and every other module is compiled from "
    "source in every process (see venv_pyc_files in the machine facts)"
)
_BYTECODE_VARS = ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")


def clean_env(pycache: str, pycache_dir: Path, **extra: str) -> dict[str, str]:
    """The current environment without PARLEY_* variables, bytecode settings per `pycache`,
    and `extra`.

    `warm` caches in `pycache_dir`, never in the venv or src/ (a prefix is also read instead
    of `__pycache__` folders, so what lies there does not change the result). `off` writes
    nothing anywhere.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PARLEY_") and k not in _BYTECODE_VARS
    }
    if pycache == "warm":
        env["PYTHONPYCACHEPREFIX"] = str(pycache_dir)
    elif pycache == "off":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        raise ValueError(f"pycache mode {pycache!r} is not one of {PYCACHE_MODES}")
    env.update(extra)
    return env


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p90(values: Sequence[float]) -> float:
    """90th percentile, nearest rank (an observed value, never interpolated)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 < q <= 100), nearest rank, like `p90`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _run(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """Facts to print next to the numbers: CPUs, CPU model, OS, Python, Parley, git, date."""
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = _run(["git", "rev-parse", "--short", "HEAD"])
    measured = ["src", "pyproject.toml", "uv.lock"]  # what the numbers depend on
    if commit and _run(["git", "status", "--porcelain", "--", *measured]):
        commit += " (src/ has uncommitted changes)"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": nproc,
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "parley": _run([str(tool("parley")), "version"]) or "unknown",
        "git_commit": commit or "unknown",
        "caller_env": {k: os.environ[k] for k in _BYTECODE_VARS if k in os.environ},
        "venv_pyc_files": sum(1 for _ in Path(sys.prefix).rglob("*.pyc")),
        "src_pyc_files": sum(1 for _ in (ROOT / "src").rglob("*.pyc")),
    }


def machine_line(info: dict[str, Any]) -> str:
    return (
        f"{info['date']}; nproc {info['nproc']} ({info['cpu']}); {info['os']}; "
        f"Python {info['python']}; parley {info['parley']} at {info['git_commit']}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """A Markdown table; `align` holds one of l/r per column (default: first l, rest r)."""
    align = align or "l" + "r" * (len(headers) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [headers, rule, *rows]
    return "\n".join("| " + " | ".join(str(cell) for cell in line) + " |" for line in lines)


def write_json(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
