"""Deletion on request and retention policies, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from parley.conversations import deletion, retention, service
from parley.conversations.repository import ConversationFilter
from parley.db.engine import session_scope
from parley.errors import InvalidInput, NotFound
from parley.models import (
    Agent,
    AuditEvent,
    Conversation,
    ConversationLabel,
    ConversationTurn,
    WebhookEvent,
)
from tests.conversations.conftest import Sessions
from tests.conversations.records import elevenlabs_record

NOW = datetime(2027, 6, 1, tzinfo=UTC)


async def _conversation(
    sessions: Sessions, data_dir: Path, index: int, age_days: int, agent: str | None
) -> None:
    """A stored conversation `age_days` old, with a recording file and a raw webhook event."""
    record = elevenlabs_record(index).model_copy(
        update={"started_at": NOW - timedelta(days=age_days, minutes=index), "agent_hint": agent}
    )
    async with session_scope(sessions) as session:
        await service.store(session, record, caller_key=b"k")
        session.add(
            WebhookEvent(
                provider="elevenlabs",
                event_type="post_call_transcription",
                dedupe_key=f"event-{index}",
                remote_id=record.remote_id,
                status="processed",
                body="{}",
            )
        )
    audio = data_dir / "audio" / "elevenlabs" / f"{record.remote_id}.mp3"
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(b"ID3")


async def _state(sessions: Sessions, data_dir: Path) -> dict[str, tuple[bool, bool]]:
    """remote id -> (has_audio flag, audio file exists), for the conversations left."""
    async with session_scope(sessions) as session:
        rows = (await session.scalars(select(Conversation))).all()
    folder = data_dir / "audio" / "elevenlabs"
    return {r.remote_id: (r.has_audio, (folder / f"{r.remote_id}.mp3").exists()) for r in rows}


async def test_delete_on_request_removes_everything(sessions: Sessions, tmp_path: Path) -> None:
    await _conversation(sessions, tmp_path, 1, 1, None)
    await _conversation(sessions, tmp_path, 2, 1, None)
    async with session_scope(sessions) as session:
        done = await deletion.delete_conversation(
            session, "conv_0001", data_dir=tmp_path, actor="tester"
        )
    assert (done.remote_id, done.audio_files, done.webhook_events) == ("conv_0001", 1, 1)
    assert await _state(sessions, tmp_path) == {"conv_0002": (True, True)}
    async with session_scope(sessions) as session:
        for model in (ConversationTurn, ConversationLabel, WebhookEvent):
            ids = await session.scalars(select(model.__table__.c[_key(model)]))
            assert set(ids) <= {"conv_0002", done.id + 1}, model
        audit = (await session.scalars(select(AuditEvent))).all()
        found = await service.list_conversations(session, ConversationFilter(search="northbridge"))
        with pytest.raises(NotFound):
            await deletion.delete_conversation(
                session, str(done.id), data_dir=tmp_path, actor="tester"
            )
    assert [(a.actor, a.action, a.target) for a in audit] == [
        ("tester", "conversation.delete", "conversation:elevenlabs:conv_0001")
    ]
    assert audit[0].details["reason"] == "request"
    assert [i.remote_id for i in found.items] == ["conv_0002"]  # gone from the search too


def _key(model: type) -> str:
    return "remote_id" if model is WebhookEvent else "conversation_id"


async def test_retention_per_agent_beats_the_default(sessions: Sessions, tmp_path: Path) -> None:
    async with session_scope(sessions) as session:
        session.add_all(
            [Agent(name="keeper", current_version=1), Agent(name="short", current_version=1)]
        )
    # default: audio 10 days, conversations 30; keeper: keep all; short: conversations 5 days.
    await _conversation(sessions, tmp_path, 1, 40, None)  # default, too old: deleted
    await _conversation(sessions, tmp_path, 2, 20, None)  # default: audio only
    await _conversation(sessions, tmp_path, 3, 5, None)  # default: kept whole
    await _conversation(sessions, tmp_path, 4, 400, "keeper")  # kept forever
    await _conversation(sessions, tmp_path, 5, 6, "short")  # deleted
    await _conversation(sessions, tmp_path, 6, 4, "short")  # kept, with audio
    async with session_scope(sessions) as session:
        await retention.set_policy(
            session, retention.PolicyIn(agent="*", audio_days=10, conversation_days=30), actor="t"
        )
        await retention.set_policy(session, retention.PolicyIn(agent="keeper"), actor="t")
        await retention.set_policy(
            session, retention.PolicyIn(agent="short", conversation_days=5), actor="t"
        )
        with pytest.raises(InvalidInput):
            await retention.set_policy(session, retention.PolicyIn(agent="nobody"), actor="t")
        assert [p.agent for p in await retention.list_policies(session)] == [
            "*",
            "keeper",
            "short",
        ]
    async with session_scope(sessions) as session:
        report = await retention.apply(session, data_dir=tmp_path, now=NOW)
    assert (report.conversations_deleted, report.audio_deleted) == (2, 1)
    assert await _state(sessions, tmp_path) == {
        "conv_0002": (False, False),
        "conv_0003": (True, True),
        "conv_0004": (True, True),
        "conv_0006": (True, True),
    }
    async with session_scope(sessions) as session:
        again = await retention.apply(session, data_dir=tmp_path, now=NOW)
        actions = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "retention")
        )
        await retention.remove_policy(session, "keeper", actor="t")
    assert (again.conversations_deleted, again.audio_deleted) == (0, 0)
    assert actions == 3
    async with session_scope(sessions) as session:
        await retention.apply(session, data_dir=tmp_path, now=NOW)  # keeper now takes the default
    assert set(await _state(sessions, tmp_path)) == {"conv_0002", "conv_0003", "conv_0006"}
