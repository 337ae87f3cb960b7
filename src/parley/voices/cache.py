"""Provider voice catalogues kept on disk for a while, so listing and plan checks stay quick.

A catalogue changes rarely (a new clone, a removed library voice) but takes one or more paged
requests to read, and `plan` checks a voice for every spec. Each provider's catalogue is one JSON
file, `<data_dir>/cache/voices-<provider>.json`, reused until it is `ttl_s` seconds old. A file
that cannot be read or parsed counts as missing: the cache is an optimisation, never a source
of errors. The clock is injectable so tests can age a file without waiting.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from parley.providers.base import Voice
from parley.voices.schemas import Catalogue

Clock = Callable[[], float]
FORMAT = 1  # bumped when the file's shape changes; other formats are ignored, then rewritten
VOICES = TypeAdapter(list[Voice])


class VoiceCache:
    def __init__(self, directory: Path, ttl_s: float, *, clock: Clock = time.time) -> None:
        self.directory = directory
        self.ttl_s = ttl_s
        self.clock = clock

    def path(self, provider: str) -> Path:
        return self.directory / f"voices-{provider}.json"

    def read(self, provider: str, *, allow_stale: bool = False) -> Catalogue | None:
        """The cached catalogue, or None when there is none or it has expired."""
        data = self._load(provider)
        if data is None:
            return None
        fetched_at = float(data["fetched_at"])
        age = self.clock() - fetched_at
        # A file from the future (a clock moved back) cannot be trusted to be fresh.
        if not allow_stale and not 0 <= age < self.ttl_s:
            return None
        try:
            voices = VOICES.validate_python(data["voices"])
        except ValidationError:
            return None
        return Catalogue(
            provider=provider,
            voices=voices,
            fetched_at=datetime.fromtimestamp(fetched_at, UTC),
            from_cache=True,
        )

    def write(self, provider: str, voices: list[Voice]) -> Catalogue:
        """Store a freshly fetched catalogue and answer it."""
        now = self.clock()
        body = {
            "format": FORMAT,
            "provider": provider,
            "fetched_at": now,
            "voices": VOICES.dump_python(voices, mode="json"),
        }
        # A read-only or full disk costs a refetch next time, nothing more.
        with contextlib.suppress(OSError):
            self._store(provider, body)
        return Catalogue(
            provider=provider,
            voices=voices,
            fetched_at=datetime.fromtimestamp(now, UTC),
            from_cache=False,
        )

    def _load(self, provider: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path(provider).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        if not isinstance(data.get("fetched_at"), int | float):
            return None
        if not isinstance(data.get("voices"), list):
            return None
        return data

    def _store(self, provider: str, body: dict[str, Any]) -> None:
        # Write then rename, so a concurrent `parley` never reads half a file.
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".voices-{provider}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(body, out, ensure_ascii=False)
            os.replace(tmp, self.path(provider))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
