"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database is usable)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from parley.db import migrate

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    engine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        revision = await migrate.current_revision(engine)
        expected = migrate.LATEST_REVISION
        checks["schema"] = (
            "ok" if revision == expected else f"at {revision or 'no revision'}, needs {expected}"
        )
    except Exception as exc:  # readiness reports any failure instead of raising it
        checks["database"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values()) and len(checks) == 2
    body = Health(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
