"""Loaded at start-up by a server that `emulator_ws.py` runs (this folder goes on PYTHONPATH).

With BENCH_GC_LOG set, every collection of the cyclic garbage collector is appended to that
file as a JSON line: wall time at its end, generation, milliseconds, objects collected. With
BENCH_GC_DISABLE=1 the collector is switched off (a diagnostic run, not a setting to ship).
Nothing else in the process changes. Not part of Parley.
"""

import gc
import json
import os
import time

_path = os.environ.get("BENCH_GC_LOG")
if _path:
    _log = open(_path, "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    _started = [0.0]

    def _record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            _started[0] = time.perf_counter()
            return
        ms = (time.perf_counter() - _started[0]) * 1000
        entry = {
            "t": time.time(),
            "gen": info["generation"],
            "ms": ms,
            "collected": info["collected"],
        }
        _log.write(json.dumps(entry) + "\n")

    gc.callbacks.append(_record)

if os.environ.get("BENCH_GC_DISABLE") == "1":
    gc.disable()
