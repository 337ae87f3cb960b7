"""Recordings fetched on demand: the API route and the service against the emulated providers
(real adapters, in-process), cached under the data directory, and retention deleting them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from parley.agents.validate import check_paths
from parley.app import create_app
from parley.conversations import audio, retention
from parley.conversations.retention import PolicyIn
from parley.db.base import utcnow
from parley.db.engine import session_scope
from parley.emulator.state import Emulator
from parley.models import Conversation
from parley.providers import registry
from parley.providers.registry import Providers
from parley.tokens import service as tokens
from tests.conversations.conftest import AGENT, Sessions, Simulator, apply_examples, run_sync
from tests.providers.conftest import provider_settings


class Recorder(httpx.AsyncBaseTransport):
    """The emulator's ASGI transport, noting every request that passes (method, url, headers)."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return await self.inner.handle_async_request(request)

    def paths(self, fragment: str) -> list[httpx.Request]:
        return [r for r in self.seen if fragment in r.url.path]


@pytest.fixture
def recorder(emulator_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Every `Providers` built without transports (the API's, the CLI's) goes to the emulator."""
    seen = Recorder(emulator_app)
    monkeypatch.setitem(registry.TRANSPORT_OVERRIDES, "elevenlabs", seen)
    monkeypatch.setitem(registry.TRANSPORT_OVERRIDES, "ultravox", seen)
    return seen


@asynccontextmanager
async def parley_api(db_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(provider_settings(data_dir, database_url=db_url))
    async with app.router.lifespan_context(app):
        async with session_scope(app.state.sessions) as session:
            created = await tokens.create(session, "tests", actor="tests")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://parley.test",
            headers={"Authorization": f"Bearer {created.token}"},
        ) as client:
            yield client


def _recording_on_ultravox(examples: Path, record: bool) -> dict[str, Any]:
    """The example agent with Ultravox recording on or off (its other provider extras kept)."""
    spec = next(s for s in check_paths([examples]).valid if s.name == AGENT)
    extras = dict(spec.model_dump().get("providers") or {})
    extras["ultravox"] = {**extras.get("ultravox", {}), "recordingEnabled": record}
    return {AGENT: {"providers": extras}}


async def _calls(
    sessions: Sessions, providers: Providers, sim: Simulator, examples: Path, *, record: bool
) -> dict[str, str]:
    """One finished conversation per provider, synced into Parley: provider -> remote id."""
    edits = _recording_on_ultravox(examples, record)
    remote = await apply_examples(sessions, providers, examples, **edits)
    el = await sim.elevenlabs(
        remote[(AGENT, "elevenlabs")], 1, dynamic_variables={"advisor_name": "Ana"}
    )
    uv = await sim.ultravox(
        remote[(AGENT, "ultravox")], 1, template_context={"advisor_name": "Ana"}
    )
    await run_sync(sessions, providers)
    return {"elevenlabs": el[0], "ultravox": uv[0]}


async def test_fetched_once_then_served_from_disk(
    db_url: str,
    tmp_path: Path,
    sessions: Sessions,
    providers: Providers,
    simulator: Simulator,
    examples: Path,
    recorder: Recorder,
) -> None:
    ids = await _calls(sessions, providers, simulator, examples, record=True)
    data_dir = tmp_path / "data"
    async with parley_api(db_url, data_dir) as client:
        first = await client.get(f"/api/v1/conversations/{ids['elevenlabs']}/audio")
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "audio/mpeg"
        assert first.headers["x-audio-source"] == "provider"
        assert first.content[:3] == b"ID3" or first.content[:2] == b"\xff\xfb"
        again = await client.get(f"/api/v1/conversations/{ids['elevenlabs']}/audio")
        assert again.headers["x-audio-source"] == "cache"
        assert again.content == first.content
        assert len(recorder.paths("/audio")) == 1  # the second answer did not ask ElevenLabs

        # Ultravox redirects to signed storage: followed, without the API key going along.
        shown = await client.get(f"/api/v1/conversations/{ids['ultravox']}")
        wav = await client.get(f"/api/v1/conversations/{shown.json()['id']}/audio")
        assert wav.status_code == 200, wav.text
        assert wav.headers["content-type"] == "audio/wav"
        assert wav.content[:4] == b"RIFF"
        assert wav.content[8:12] == b"WAVE"
        (storage,) = recorder.paths("/storage/recordings/")
        assert "x-api-key" not in storage.headers
        assert recorder.paths("/recording")[0].headers["x-api-key"]
        ranged = await client.get(
            f"/api/v1/conversations/{ids['ultravox']}/audio", headers={"Range": "bytes=0-3"}
        )
        assert (ranged.status_code, ranged.content) == (206, b"RIFF")

    files = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.glob("audio/*/*"))
    assert files == [
        f"audio/elevenlabs/{ids['elevenlabs']}.mp3",
        f"audio/ultravox/{ids['ultravox']}.wav",
    ]
    async with session_scope(sessions) as session:
        rows = (await session.scalars(select(Conversation))).all()
    assert all(row.has_audio for row in rows)


async def test_no_recording_is_a_clear_404(
    db_url: str,
    tmp_path: Path,
    sessions: Sessions,
    providers: Providers,
    simulator: Simulator,
    examples: Path,
    emu: Emulator,
    recorder: Recorder,
) -> None:
    ids = await _calls(sessions, providers, simulator, examples, record=False)
    emu.state("elevenlabs").conversations[ids["elevenlabs"]].text_only = True
    async with parley_api(db_url, tmp_path) as client:
        for provider, remote_id in ids.items():
            answer = await client.get(f"/api/v1/conversations/{remote_id}/audio")
            assert answer.status_code == 404, (provider, answer.headers)
            error = answer.json()["error"]
            assert error["code"] == "audio_not_found"
            assert error["message"].startswith(f"{provider} has no recording for conversation ")
            assert error["details"]["reason"] == "provider"
        missing = await client.get("/api/v1/conversations/nope/audio")
        assert missing.json()["error"]["code"] == "not_found"
    assert not [p for p in (tmp_path / "audio").rglob("*") if p.is_file()]


async def test_retention_deletes_cached_recordings_and_stops_refetching(
    tmp_path: Path,
    sessions: Sessions,
    providers: Providers,
    simulator: Simulator,
    examples: Path,
) -> None:
    ids = await _calls(sessions, providers, simulator, examples, record=True)
    settings = provider_settings(tmp_path)
    async with session_scope(sessions) as session:
        for remote_id in ids.values():
            got = await audio.get_audio(session, remote_id, settings=settings, providers=providers)
            assert got.fetched
            assert got.path.exists()
    cached = [audio.cached(tmp_path, p, r) for p, r in ids.items()]
    assert all(path is not None for path in cached)

    async with session_scope(sessions) as session:
        await retention.set_policy(session, PolicyIn(agent="*", audio_days=7), actor="t")
        for row in (await session.scalars(select(Conversation))).all():
            row.started_at = utcnow() - timedelta(days=8)
    async with session_scope(sessions) as session:
        report = await retention.apply(session, data_dir=tmp_path)
    assert report.audio_deleted == 2
    assert [audio.cached(tmp_path, p, r) for p, r in ids.items()] == [None, None]

    async with session_scope(sessions) as session:
        with pytest.raises(audio.AudioNotFound) as refused:
            await audio.get_audio(session, ids["ultravox"], settings=settings, providers=providers)
    assert refused.value.details["reason"] == "retention"
    assert "past its retention (7 days)" in refused.value.message
    assert audio.cached(tmp_path, "ultravox", ids["ultravox"]) is None
