"""An API client over the real app (lifespan included) through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from parley.app import create_app
from parley.config import settings_with
from parley.db.engine import session_scope
from parley.tokens import service as tokens


@asynccontextmanager
async def api_client(db_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose default headers carry a fresh bearer token named `tests`."""
    app = create_app(settings_with(database_url=db_url, data_dir=tmp_path))
    async with app.router.lifespan_context(app):
        async with session_scope(app.state.sessions) as session:
            created = await tokens.create(session, "tests", actor="tests")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://parley.test",
            headers={"Authorization": f"Bearer {created.token}"},
        ) as client:
            yield client
