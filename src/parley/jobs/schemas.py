"""What jobs pass around: the handler signature, its context, and views of a job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings


@dataclass(frozen=True)
class JobContext:
    """What a handler may use besides its session: settings, and how to reach providers
    (tests aim `transports` at the in-process emulator)."""

    settings: Settings
    transports: Mapping[str, httpx.AsyncBaseTransport] = field(default_factory=dict)


Handler = Callable[[AsyncSession, dict[str, Any], JobContext], Awaitable[None]]


class JobView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    payload: dict[str, Any]
    dedupe_key: str | None
    status: str
    attempts: int
    run_after: datetime
    locked_by: str | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class RunReport(BaseModel):
    """What one `run_once` did."""

    done: int = 0
    retried: int = 0
    parked: int = 0
