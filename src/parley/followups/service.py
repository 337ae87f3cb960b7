"""Meeting follow-up: queued once per final conversation, sent at most once, always recorded.

`schedule` is the hook called wherever a final conversation is stored (webhook processing,
reconciliation). It enqueues `followups.meeting` with the dedupe key
`followup:meeting:<provider>:<remote_id>`, so duplicate webhook deliveries and later syncs of
the same conversation never queue a second job. The job (`run`) re-reads the stored
conversation, detects the meeting, sends the invitation and writes the outcome as an audit
event (`followup.meeting`, target `conversation:<provider>:<remote_id>`); a replayed job that
finds a `sent` event does nothing. The audit log is used rather than the conversation's
metadata because every store overwrites that.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings
from parley.conversations.schemas import FINAL_STATUSES, ConversationRecord, DataValue, Turn
from parley.db.base import utcnow
from parley.followups import ics, mail
from parley.followups.detect import BOOKED_FIELD, Meeting, detect
from parley.jobs.schemas import JobContext
from parley.jobs.service import enqueue
from parley.models import Agent, AgentVersion, AuditEvent, Conversation, ConversationTurn

MEETING = "followups.meeting"
ACTION = "followup.meeting"
ACTOR = "parley"


def dedupe_key(provider: str, remote_id: str) -> str:
    return f"followup:meeting:{provider}:{remote_id}"


def target(provider: str, remote_id: str) -> str:
    return f"conversation:{provider}:{remote_id}"


def selected_agents(settings: Settings) -> set[str]:
    return {name.strip() for name in settings.followup_agents.split(",") if name.strip()}


async def _skip_reason(session: AsyncSession, row: Conversation, settings: Settings) -> str | None:
    """Why this conversation's agent sends no follow-ups, or None when it does."""
    agent = None
    if row.agent_id is not None:
        agent = await session.scalar(select(Agent.name).where(Agent.id == row.agent_id))
    wanted = selected_agents(settings)
    if wanted:
        return None if agent in wanted else "agent_not_selected"
    spec: dict[str, Any] | None = None
    if row.agent_id is not None and row.version_number is not None:
        spec = await session.scalar(
            select(AgentVersion.spec).where(
                AgentVersion.agent_id == row.agent_id, AgentVersion.number == row.version_number
            )
        )
    declared = (spec or {}).get("data_collection") or {}
    # Unattributed conversations qualify when the provider collected the field anyway.
    if BOOKED_FIELD in declared or BOOKED_FIELD in (row.data_collection or {}):
        return None
    return "no_meeting_field"


async def schedule(session: AsyncSession, row: Conversation, settings: Settings) -> int | None:
    """Queue the follow-up of a conversation just stored; a no-op unless it is final and its
    agent takes part, and after the first time (the dedupe key). Runs in the caller's unit
    of work, so the job commits with the stored conversation."""
    if row.status not in FINAL_STATUSES:
        return None
    if await _skip_reason(session, row, settings) is not None:
        return None
    payload = {"provider": row.provider, "remote_id": row.remote_id}
    return await enqueue(
        session, MEETING, payload, dedupe_key=dedupe_key(row.provider, row.remote_id)
    )


async def _record(session: AsyncSession, where: str, result: str, **details: Any) -> None:
    session.add(
        AuditEvent(actor=ACTOR, action=ACTION, target=where, details={"result": result, **details})
    )
    await session.flush()


async def _already_sent(session: AsyncSession, where: str) -> bool:
    rows = await session.scalars(
        select(AuditEvent).where(AuditEvent.action == ACTION, AuditEvent.target == where)
    )
    return any((row.details or {}).get("result") == "sent" for row in rows)


async def _record_of(session: AsyncSession, row: Conversation) -> ConversationRecord:
    """The stored conversation back in the normalised shape detection reads."""
    turns = await session.scalars(
        select(ConversationTurn)
        .where(ConversationTurn.conversation_id == row.id)
        .order_by(ConversationTurn.position)
    )
    return ConversationRecord(
        provider=row.provider,
        remote_id=row.remote_id,
        normaliser_version=row.normaliser_version,
        remote_agent_name=row.agent_name,
        started_at=row.started_at,
        ended_at=row.ended_at,
        status=row.status,
        summary=row.summary,
        data_collection={
            k: DataValue.model_validate(v) for k, v in (row.data_collection or {}).items()
        },
        dynamic_variables=row.dynamic_variables or {},
        turns=[Turn(role=t.role, text=t.text) for t in turns],
    )


def confirmation(
    settings: Settings, record: ConversationRecord, meeting: Meeting, agent: str | None
) -> mail.Confirmation:
    """The e-mail and its invitation; times are shown in the zone the meeting was agreed in."""
    assert meeting.attendee is not None
    end = meeting.start + timedelta(minutes=settings.followup_meeting_minutes)
    local = meeting.start.astimezone(ZoneInfo(meeting.timezone))
    when = f"{local:%A %d %B %Y, %H:%M} ({meeting.timezone})"
    title = f"Meeting: {agent or record.remote_agent_name or 'follow-up'}"
    text = (
        f"Hello,\n\nthank you for your time on the call. This confirms our meeting on {when}, "
        f"for {settings.followup_meeting_minutes} minutes.\n\n"
        "The calendar invitation is attached; please accept it to add the meeting to your "
        "calendar."
    )
    if record.summary:
        text += f"\n\nWhat we discussed: {record.summary}"
    organizer_name, organizer = parseaddr(settings.smtp_from)
    event = ics.Event(
        uid=ics.uid_for(record.provider, record.remote_id),
        start=meeting.start,
        end=end,
        stamp=utcnow(),
        summary=title,
        description=text,
        organizer=organizer,
        organizer_name=organizer_name or None,
        attendee=meeting.attendee,
    )
    key = ics.uid_for(record.provider, record.remote_id).partition("@")[0]
    return mail.Confirmation(
        to=meeting.attendee,
        subject=f"Meeting confirmed: {when}",
        text=text,
        ics=ics.invitation(event),
        message_key=f"followup-{key}",
    )


def _when(meeting: Meeting) -> dict[str, Any]:
    return {"start": _iso(meeting.start), "source": meeting.source, "timezone": meeting.timezone}


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def run(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    """The `followups.meeting` job."""
    settings = ctx.settings
    provider, remote_id = str(payload["provider"]), str(payload["remote_id"])
    where = target(provider, remote_id)
    if await _already_sent(session, where):
        return
    row = await session.scalar(
        select(Conversation).where(
            Conversation.provider == provider, Conversation.remote_id == remote_id
        )
    )
    if row is None:  # deleted (e.g. by retention) before the job ran
        await _record(session, where, "conversation_gone")
        return
    reason = await _skip_reason(session, row, settings)
    if reason is not None:
        await _record(session, where, reason)
        return
    record = await _record_of(session, row)
    meeting = detect(record)
    if meeting is None:
        await _record(session, where, "no_meeting")
        return
    if meeting.attendee is None:
        await _record(session, where, "no_attendee", **_when(meeting))
        return
    if not mail.configured(settings):
        await _record(session, where, "not_configured", **_when(meeting))
        return
    agent = await session.scalar(select(Agent.name).where(Agent.id == row.agent_id))
    message = mail.build(settings, confirmation(settings, record, meeting, agent))
    await mail.send(settings, message)
    await _record(
        session,
        where,
        "sent",
        to=meeting.attendee,
        message_id=message["Message-ID"],
        **_when(meeting),
    )
