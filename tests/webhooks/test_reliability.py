"""The reliability studies of bench/studies/, reduced, on both databases (docs/reliability.md).

Each runs real processes and sockets: `parley serve` killed with SIGKILL in the middle of 200
webhooks, then restarted; and 25 conversations per provider delivered by the emulator over
HTTP with 20% of deliveries dropped and 10% duplicated, then one `parley conversations sync`.
The assertions are on what is stored, never on how long it took.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _study(name: str) -> ModuleType:
    for folder in (ROOT / "bench", ROOT / "bench" / "studies"):
        if str(folder) not in sys.path:
            sys.path.append(str(folder))
    module = __import__(name)
    assert isinstance(module, ModuleType)
    return module


def test_sigkill_mid_burst_loses_no_acknowledged_webhook(db_url: str, tmp_path: Path) -> None:
    kill = _study("webhook_kill")
    report = kill.study(db_url, tmp_path, count=200, kill_after=60, concurrency=16)
    assert report.passed, report.render("kill")
    assert report.acked >= 60


def test_one_sync_repairs_dropped_and_duplicated_webhooks(db_url: str, tmp_path: Path) -> None:
    faults = _study("sync_faults")
    report = faults.study(db_url, tmp_path, count=25, migrate=False)
    assert report.passed, report.render("sync")
    assert report.counts["conversations"] == 50
