"""`parley demo --exit`, the README's main command, run as a newcomer runs it: a subprocess with
nothing configured, the emulator and the control plane on free ports, to the final report.

The emulator's truth (the calmer version books 30% of meetings against 16%) is strong enough
that Parley promotes it within the demo's 800 conversations; a promotion of the control, or
none, would be a real failure of the loop (or of its statistics) worth looking at.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_the_whole_loop_to_a_promotion(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env |= {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "120"}
    parley = Path(sys.executable).with_name("parley")
    done = subprocess.run(
        [str(parley), "demo", "--exit"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    for step in ("apply them", "17. the result", "truth told to the emulator"):
        assert step in out, out[-4000:]
    assert "promoted: arm calmer" in out, out[-4000:]
    assert "Traceback" not in out
