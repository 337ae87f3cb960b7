"""A booked meeting on the emulator -> post-call webhooks (delivered twice) into Parley's app ->
jobs -> exactly one e-mail at a real local SMTP server (both databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
from sqlalchemy import select

from parley.db.engine import session_scope
from parley.emulator.faults import FaultRule
from parley.followups.service import ACTION, MEETING, dedupe_key
from parley.models import AuditEvent, Job
from tests.conversations.conftest import AGENT, Simulator, apply_examples, run_sync
from tests.followups.conftest import Inbox
from tests.webhooks.conftest import Stack, make_stack, stack

__all__ = ["stack"]  # the plain stack fixture: no SMTP settings

MEETING_TIME = "2031-03-14T15:00:00-04:00"


def outcome(booked: bool) -> dict[str, Any]:
    data = {
        "meeting_booked": {"kind": "constant", "value": booked},
        "meeting_time": {"kind": "constant", "value": MEETING_TIME if booked else ""},
        "advisor_email": {"kind": "constant", "value": "ana@example.com"},
    }
    return {"p_success": 1.0, "data_collection": data}


@pytest.fixture
async def mailing_stack(db_url: str, tmp_path: Path, smtp: Inbox) -> AsyncIterator[Stack]:
    async for built in make_stack(
        db_url,
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        smtp_from="Northbridge ETF Team <etf@northbridge.example>",
    ):
        yield built


async def _simulate(stack: Stack, remote: dict[tuple[str, str], str], booked: bool) -> str:
    sim = Simulator(stack.emulator)
    async with sim.client:
        (cid,) = await sim.elevenlabs(
            remote[(AGENT, "elevenlabs")],
            1,
            outcome=outcome(booked),
            dynamic_variables={"advisor_name": "Ana", "advisor_timezone": "America/New_York"},
        )
    return cid


async def _audit(stack: Stack) -> dict[str, list[str]]:
    async with session_scope(stack.parley.state.sessions) as session:
        rows = (await session.scalars(select(AuditEvent).where(AuditEvent.action == ACTION))).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.target, []).append(row.details["result"])
    return found


async def test_duplicate_webhooks_send_one_email(
    mailing_stack: Stack, smtp: Inbox, examples: Path
) -> None:
    stack = mailing_stack
    remote = await apply_examples(stack.parley.state.sessions, stack.providers, examples)
    stack.emu.faults.add(FaultRule(kind="duplicate_webhook", path="*"))
    booked = await _simulate(stack, remote, booked=True)
    declined = await _simulate(stack, remote, booked=False)
    await stack.deliver()
    assert any(d.duplicate_of for d in stack.emu.outbox.deliveries)
    report = await stack.runner.run_once()
    assert (report.retried, report.parked) == (0, 0)
    assert len(smtp.received) == 1
    sender, recipients, message = smtp.received[0]
    assert (sender, recipients) == ("etf@northbridge.example", ["ana@example.com"])
    invite = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    (vevent,) = icalendar.Calendar.from_ical(invite.get_content()).walk("VEVENT")
    assert vevent["UID"] == f"meeting-elevenlabs-{booked}@parley"
    assert vevent.decoded("DTSTART").isoformat() == "2031-03-14T19:00:00+00:00"
    assert await _audit(stack) == {
        f"conversation:elevenlabs:{booked}": ["sent"],
        f"conversation:elevenlabs:{declined}": ["no_meeting"],
    }
    async with session_scope(stack.parley.state.sessions) as session:
        jobs = (await session.scalars(select(Job).where(Job.kind == MEETING))).all()
    assert sorted(j.dedupe_key or "" for j in jobs) == sorted(
        dedupe_key("elevenlabs", cid) for cid in (booked, declined)
    )
    # Everything again: a sync that refetches, more deliveries, another pass of the runner.
    await run_sync(stack.parley.state.sessions, stack.providers)
    await stack.deliver()
    await stack.runner.run_once()
    assert len(smtp.received) == 1


async def test_sync_before_the_webhook_still_sends_once(
    mailing_stack: Stack, smtp: Inbox, examples: Path
) -> None:
    stack = mailing_stack
    remote = await apply_examples(stack.parley.state.sessions, stack.providers, examples)
    booked = await _simulate(stack, remote, booked=True)
    report = await run_sync(stack.parley.state.sessions, stack.providers, provider="elevenlabs")
    assert report.total("new") == 1
    await stack.deliver()  # the webhook stores the same conversation again
    await stack.runner.run_once()
    assert [m["To"] for _, _, m in smtp.received] == ["ana@example.com"]
    assert await _audit(stack) == {f"conversation:elevenlabs:{booked}": ["sent"]}


async def test_without_smtp_the_job_records_not_configured(
    stack: Stack, smtp: Inbox, examples: Path
) -> None:
    remote = await apply_examples(stack.parley.state.sessions, stack.providers, examples)
    booked = await _simulate(stack, remote, booked=True)
    await stack.deliver()
    await stack.runner.run_once()
    assert smtp.received == []
    assert await _audit(stack) == {f"conversation:elevenlabs:{booked}": ["not_configured"]}


async def test_agents_not_selected_are_not_followed_up(
    db_url: str, tmp_path: Path, smtp: Inbox, examples: Path
) -> None:
    async for built in make_stack(
        db_url, tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port,
        smtp_starttls=False, smtp_from="etf@northbridge.example",
        followup_agents="coaching-agent, support-agent",
    ):  # fmt: skip
        remote = await apply_examples(built.parley.state.sessions, built.providers, examples)
        await _simulate(built, remote, booked=True)
        await built.deliver()
        await built.runner.run_once()
        assert smtp.received == []
        async with session_scope(built.parley.state.sessions) as session:
            assert (await session.scalars(select(Job).where(Job.kind == MEETING))).all() == []
