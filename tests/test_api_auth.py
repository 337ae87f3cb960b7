"""Authentication and the one error shape, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.app import create_app
from parley.config import settings_with
from parley.db.engine import session_scope
from parley.db.migrate import LATEST_REVISION
from parley.tokens import service as tokens
from tests.api_client import api_client


def _is_error(body: dict[str, object], code: str) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert error["message"]


async def test_requests_without_a_valid_token_get_401(db_url: str, tmp_path: Path) -> None:
    async with api_client(db_url, tmp_path) as client:
        assert (await client.get("/api/v1/agents")).status_code == 200
        for headers in ({"Authorization": ""}, {"Authorization": "Bearer prl_nope"}):
            answer = await client.get("/api/v1/agents", headers=headers)
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"] == "Bearer"
            _is_error(answer.json(), "unauthorized")


async def test_revoked_token_is_refused(db_url: str, tmp_path: Path) -> None:
    app = create_app(settings_with(database_url=db_url, data_dir=tmp_path))
    import httpx

    async with app.router.lifespan_context(app):
        async with session_scope(app.state.sessions) as session:
            created = await tokens.create(session, "ci", actor="t")
        auth = {"Authorization": f"Bearer {created.token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/api/v1/agents", headers=auth)).status_code == 200
            async with session_scope(app.state.sessions) as session:
                await tokens.revoke(session, "ci", actor="t")
            answer = await client.get("/api/v1/agents", headers=auth)
            assert answer.status_code == 401
            assert "revoked" in answer.json()["error"]["message"]


async def test_tokens_are_stored_only_as_hashes(db_url: str, tmp_path: Path) -> None:
    from sqlalchemy import select

    from parley.models import ApiToken

    app = create_app(settings_with(database_url=db_url, data_dir=tmp_path))
    async with app.router.lifespan_context(app), session_scope(app.state.sessions) as session:
        created = await tokens.create(session, "x", actor="t")
        row = await session.scalar(select(ApiToken))
        listed = await tokens.list_tokens(session)
    assert row is not None
    assert created.token not in (row.token_hash, row.prefix)
    assert row.token_hash == tokens.hash_token(created.token)
    assert [t.name for t in listed] == ["x"]
    assert "token" not in listed[0].model_dump()


async def test_error_shapes_for_404_405_422(db_url: str, tmp_path: Path) -> None:
    async with api_client(db_url, tmp_path) as client:
        missing = await client.get("/api/v1/agents/ghost")
        assert missing.status_code == 404
        _is_error(missing.json(), "not_found")
        assert missing.json()["error"]["details"] == {"agent": "ghost"}
        no_route = await client.get("/nowhere")
        assert no_route.status_code == 404
        _is_error(no_route.json(), "not_found")
        wrong_method = await client.delete("/healthz")
        assert wrong_method.status_code == 405
        _is_error(wrong_method.json(), "method_not_allowed")
        bad = await client.get("/api/v1/agents", params={"limit": 0})
        assert bad.status_code == 422
        _is_error(bad.json(), "invalid_input")
        assert bad.json()["error"]["details"]["problems"][0]["path"] == "query.limit"


async def test_health_endpoints_need_no_token(db_url: str, tmp_path: Path) -> None:
    async with api_client(db_url, tmp_path) as client:
        client.headers.pop("Authorization")
        assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "schema": "ok"}


async def test_readyz_reports_an_unmigrated_database(tmp_path: Path) -> None:
    import httpx

    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    app = create_app(settings_with(database_url=url, data_dir=tmp_path, auto_migrate=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["schema"] == f"at no revision, needs {LATEST_REVISION}"


async def test_a_failed_commit_is_never_answered_with_2xx(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx
    from sqlalchemy.ext.asyncio import AsyncSession

    app = create_app(settings_with(database_url=db_url, data_dir=tmp_path))
    async with app.router.lifespan_context(app):
        async with session_scope(app.state.sessions) as session:
            created = await tokens.create(session, "t", actor="t")

        async def broken_commit(self: AsyncSession) -> None:
            raise RuntimeError("disk full: secret-detail")

        monkeypatch.setattr(AsyncSession, "commit", broken_commit)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        auth = {"Authorization": f"Bearer {created.token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.post(
                "/api/v1/agents/apply",
                headers=auth,
                json={
                    "specs": [{"spec": {"name": "a", "system_prompt": "p", "llm": {"model": "m"}}}]
                },
            )
    assert answer.status_code == 500
    assert answer.json() == {
        "error": {"code": "internal_error", "message": "internal error", "details": {}}
    }


async def test_a_forged_cursor_is_a_clear_422(db_url: str, tmp_path: Path) -> None:
    async with api_client(db_url, tmp_path) as client:
        await client.post(
            "/api/v1/agents/apply",
            json={"specs": [{"spec": {"name": "a", "system_prompt": "p", "llm": {"model": "m"}}}]},
        )
        answer = await client.get("/api/v1/agents/a/versions", params={"cursor": "YWJj"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_input"
