"""Sending to a real SMTP server (aiosmtpd on 127.0.0.1): headers, parts and the invitation."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
from aiosmtplib import SMTPException

from parley.config import Settings, settings_with
from parley.conversations.schemas import ConversationRecord
from parley.followups import mail
from parley.followups.detect import Meeting
from parley.followups.service import confirmation
from tests.followups.conftest import Inbox, free_port

MEETING = Meeting(
    start=datetime(2026, 3, 17, 19, 0, tzinfo=UTC),
    attendee="ana@example.com",
    source="data_collection",
    evidence="2026-03-17T15:00:00-04:00",
    timezone="America/New_York",
)
RECORD = ConversationRecord(
    provider="elevenlabs",
    remote_id="conv_42",
    normaliser_version=1,
    started_at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
    status="done",
    summary="Ana asked about the NBGD expense ratio.",
)


def settings(tmp_path: Path, port: int, **more: object) -> Settings:
    return settings_with(
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_from="Northbridge ETF Team <etf@northbridge.example>",
        **more,
    )


def test_configured_needs_a_host_and_a_sender(tmp_path: Path) -> None:
    assert not mail.configured(settings_with(data_dir=tmp_path))
    assert not mail.configured(settings_with(data_dir=tmp_path, smtp_host="mail.example"))
    assert mail.configured(settings(tmp_path, 25))


async def test_the_server_receives_text_html_and_the_invitation(
    smtp: Inbox, tmp_path: Path
) -> None:
    config = settings(tmp_path, smtp.port)
    message = mail.build(config, confirmation(config, RECORD, MEETING, "etf-sales-specialist"))
    await mail.send(config, message)
    ((sender, recipients, received),) = smtp.received
    assert (sender, recipients) == ("etf@northbridge.example", ["ana@example.com"])
    assert received["From"] == "Northbridge ETF Team <etf@northbridge.example>"
    assert received["To"] == "ana@example.com"
    assert (
        received["Subject"] == "Meeting confirmed: Tuesday 17 March 2026, 15:00 (America/New_York)"
    )
    assert received["Message-ID"] == "<followup-meeting-elevenlabs-conv_42@northbridge.example>"
    assert received.get_content_type() == "multipart/mixed"
    body, invite = received.get_payload()  # type: ignore[misc]
    assert isinstance(body, EmailMessage)
    assert isinstance(invite, EmailMessage)
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    plain = body.get_body(("plain",))
    html = body.get_body(("html",))
    assert plain is not None
    assert "15:00 (America/New_York)" in plain.get_content()
    assert html is not None
    assert "<p>" in html.get_content()
    assert invite.get_content_type() == "text/calendar"
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_filename() == "invite.ics"
    (vevent,) = icalendar.Calendar.from_ical(invite.get_content()).walk("VEVENT")
    assert vevent.decoded("DTSTART") == MEETING.start
    assert vevent.decoded("DTEND") == datetime(2026, 3, 17, 19, 30, tzinfo=UTC)
    assert str(vevent["ATTENDEE"]) == "mailto:ana@example.com"
    assert str(vevent["ORGANIZER"]) == "mailto:etf@northbridge.example"
    assert vevent["UID"] == "meeting-elevenlabs-conv_42@parley"
    assert "NBGD expense ratio" in str(vevent["DESCRIPTION"])


async def test_a_refused_connection_raises_so_the_job_retries(tmp_path: Path) -> None:
    config = settings(tmp_path, free_port(), smtp_timeout_s=5)
    message = mail.build(config, confirmation(config, RECORD, MEETING, None))
    with pytest.raises((SMTPException, OSError)):
        await mail.send(config, message)
