"""Helpers for the server benchmarks: a server in a subprocess, and what /proc says about it.

Not a benchmark itself. `emulator_ws.py` and `emulator_rest.py` import it as `_servers`.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from _common import ROOT

_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def raise_open_files(wanted: int) -> int:
    """Raise this process's soft limit on open files towards `wanted` (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


@contextmanager
def server(
    cmd: list[str],
    env: dict[str, str],
    cwd: Path,
    ready_url: str,
    timeout_s: float = 30.0,
    headers: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `cmd`, wait until GET `ready_url` answers 200, and stop it (SIGTERM) at the end.

    The server's output goes to `cwd/server.log`, printed if it fails to start.
    """
    log_path = cwd / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{' '.join(cmd)} exited with {proc.returncode}:\n{log_path.read_text()}"
                )
            try:
                if httpx.get(ready_url, headers=headers, timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(cmd)} did not answer {ready_url} in {timeout_s} s")
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully on SIGTERM
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def status_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()  # the name may hold spaces; skip past it
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)


def source_env(env: dict[str, str], rev: str | None, dest: Path) -> tuple[dict[str, str], str]:
    """`env` for a server that runs `src/` as committed at git revision `rev`.

    None keeps the working tree (the venv's editable install). Otherwise `git archive REV src`
    is unpacked into `dest` and put first on PYTHONPATH, ahead of the editable install, so
    uncommitted edits in the working tree are not measured; the console scripts stay the
    venv's. Returns the environment and a label of what is measured.
    """
    if rev is None:
        return env, "working tree"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = subprocess.run(
        ["git", "archive", rev, "src"], cwd=ROOT, capture_output=True, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    src = dest / "src"
    path = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    env = {**env, "PYTHONPATH": path}
    where = subprocess.run(
        [sys.executable, "-c", "import parley; print(parley.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not where.startswith(str(src)):
        raise RuntimeError(f"parley imports from {where}, not from the snapshot in {src}")
    return env, f"git archive {commit} (src/ as committed)"


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs together have spent busy since boot (not idle, not waiting on I/O).

    The difference over a window, minus the CPU time of the benchmark's own processes, is the
    load that other work on the machine added during it.
    """
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in fields[:8]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS
