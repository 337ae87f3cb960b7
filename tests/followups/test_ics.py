"""The invitation parsed back by `icalendar` (the oracle), plus RFC 5545 folding and escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from parley.followups import ics

START = datetime(2026, 3, 17, 19, 0, tzinfo=UTC)


def event(**changes: object) -> ics.Event:
    values: dict[str, object] = {
        "uid": ics.uid_for("elevenlabs", "conv/1"),
        "start": START,
        "end": START + timedelta(minutes=30),
        "stamp": datetime(2026, 3, 10, 14, 5, tzinfo=UTC),
        "summary": "Meeting: etf, specialist; Q&A",
        "description": "Line one\nLine two with a backslash \\ and ünïcödé " + "x" * 120,
        "organizer": "etf@northbridge.example",
        "organizer_name": 'Northbridge "ETF" Team',
        "attendee": "ana@example.com",
    }
    values.update(changes)
    return ics.Event(**values)  # type: ignore[arg-type]


def test_parses_back_with_every_field() -> None:
    text = ics.invitation(event())
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    (vevent,) = calendar.walk("VEVENT")
    assert vevent["UID"] == "meeting-elevenlabs-conv_1@parley"
    assert vevent.decoded("DTSTART") == START
    assert vevent.decoded("DTEND") == START + timedelta(minutes=30)
    assert str(vevent["SUMMARY"]) == "Meeting: etf, specialist; Q&A"
    assert str(vevent["DESCRIPTION"]) == event().description
    assert str(vevent["ORGANIZER"]) == "mailto:etf@northbridge.example"
    assert vevent["ORGANIZER"].params["CN"] == "Northbridge ETF Team"
    assert str(vevent["ATTENDEE"]) == "mailto:ana@example.com"
    assert vevent["ATTENDEE"].params["RSVP"] == "TRUE"
    assert vevent["ATTENDEE"].params["ROLE"] == "REQ-PARTICIPANT"
    assert "DTSTART:20260317T190000Z\r\n" in text  # UTC form, not a floating time


def test_lines_are_folded_at_75_octets_with_crlf() -> None:
    text = ics.invitation(event())
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the description was folded
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:Line one\\nLine two with a backslash \\\\ and ünïcödé" in unfolded


def test_folding_never_splits_a_multibyte_character() -> None:
    folded = ics.fold("SUMMARY:" + "é" * 100)
    for piece in folded.split("\r\n"):
        assert len(piece.encode()) <= 75
        piece.encode().decode()  # each piece is valid UTF-8 on its own
    assert folded.replace("\r\n ", "") == "SUMMARY:" + "é" * 100


def test_escape() -> None:
    assert ics.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_uid_is_stable_per_conversation() -> None:
    assert ics.uid_for("ultravox", "abc") == ics.uid_for("ultravox", "abc")
    assert ics.uid_for("ultravox", "abc") != ics.uid_for("elevenlabs", "abc")
