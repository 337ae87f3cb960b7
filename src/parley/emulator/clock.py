"""The emulator's clock: real time plus an offset that `/_emulator/advance` moves forward.

Everything time-based (webhook retries, batch schedules, signed-URL expiry, call durations)
reads this clock, so a test can jump thirty minutes ahead without waiting.
"""

from __future__ import annotations

import time


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Unix seconds, as a float."""
        return time.time() + self.offset

    def now_secs(self) -> int:
        return int(self.now())

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
