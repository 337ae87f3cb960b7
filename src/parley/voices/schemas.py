"""What the voices domain answers: a provider's catalogue (with where it came from) and a check.

`Voice` itself is the provider protocol's type (`parley.providers.base.Voice`): adapters build
it, and everything above them uses it unchanged.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from parley.providers.base import Voice


class Catalogue(BaseModel):
    """Every voice of one provider, as fetched at `fetched_at` (from the cache or just now)."""

    provider: str
    voices: list[Voice]
    fetched_at: datetime
    from_cache: bool


class VoiceCheck(BaseModel):
    """Whether a voice id exists on a provider; if not, the closest voice and what to do."""

    ok: bool
    voice: Voice | None = None
    suggestion: Voice | None = None
    message: str
