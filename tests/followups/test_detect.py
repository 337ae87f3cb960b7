"""Meeting detection: data collection first, else a time the agent confirmed after a yes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from parley.conversations.schemas import ConversationRecord, DataValue, Turn
from parley.followups.detect import detect

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # a Tuesday; New York is on EDT (UTC-4)
NY = {"advisor_timezone": "America/New_York", "advisor_email": "ana@example.com"}


def record(
    turns: list[tuple[str, str]] = (),  # type: ignore[assignment]
    variables: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> ConversationRecord:
    return ConversationRecord(
        provider="elevenlabs",
        remote_id="conv_1",
        normaliser_version=1,
        started_at=START,
        status="done",
        turns=[Turn(role=role, text=text) for role, text in turns],  # type: ignore[arg-type]
        dynamic_variables=variables or {},
        data_collection={k: DataValue(value=v) for k, v in (data or {}).items()},
    )


def test_data_collection_with_an_offset() -> None:
    meeting = detect(
        record(
            variables={"advisor_timezone": "America/New_York"},
            data={
                "meeting_booked": True,
                "meeting_time": "2026-03-17T15:00:00-04:00",
                "advisor_email": "ana@example.com",
            },
        )
    )
    assert meeting is not None
    assert meeting.start == datetime(2026, 3, 17, 19, 0, tzinfo=UTC)
    assert (meeting.attendee, meeting.source) == ("ana@example.com", "data_collection")


def test_data_collection_without_an_offset_is_read_in_the_callers_zone() -> None:
    meeting = detect(
        record(
            variables={"advisor_timezone": "Europe/Berlin", "crm_email": "crm@example.com"},
            data={"meeting_booked": "true", "meeting_time": "2026-03-17T15:00"},
        )
    )
    assert meeting is not None
    assert meeting.start == datetime(2026, 3, 17, 14, 0, tzinfo=UTC)  # CET, UTC+1
    assert meeting.attendee == "crm@example.com"  # from a dynamic variable


def test_data_collection_in_words_is_relative_to_the_start() -> None:
    data = {"meeting_booked": True, "meeting_time": "next Friday at 11am"}
    meeting = detect(record(variables={"advisor_timezone": "Europe/Berlin"}, data=data))
    assert meeting is not None
    assert meeting.start == datetime(2026, 3, 13, 10, 0, tzinfo=UTC)


def test_booked_false_wins_over_the_transcript() -> None:
    turns = [("user", "Yes, that works."), ("agent", "Booked: Thursday at 2pm.")]
    assert detect(record(turns, NY, {"meeting_booked": False})) is None


def test_booked_time_in_the_past_is_not_a_meeting() -> None:
    data = {"meeting_booked": True, "meeting_time": "2026-03-01T10:00:00Z"}
    assert detect(record(variables=NY, data=data)) is None


def test_confirmed_relative_date() -> None:
    turns = [
        ("agent", "Would next Tuesday at 3pm work for you?"),
        ("user", "Yes, that works for me."),
        (
            "agent",
            "Perfect, I've booked you for next Tuesday at 3pm. The invitation is on its way.",
        ),
    ]
    meeting = detect(record(turns, NY))
    assert meeting is not None
    assert meeting.start == datetime(2026, 3, 17, 19, 0, tzinfo=UTC)
    assert (meeting.source, meeting.timezone) == ("transcript", "America/New_York")
    assert "next Tuesday at 3pm" in meeting.evidence


def test_confirmed_absolute_date() -> None:
    turns = [
        ("agent", "Shall we say 4 December?"),
        ("user", "Sure, 10:30 is fine."),
        ("agent", "Great, you're confirmed on 4 December at 10:30."),
    ]
    meeting = detect(record(turns, {"timezone": "Europe/London"}))
    assert meeting is not None
    assert meeting.start == datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Tokyo", datetime(2026, 3, 11, 0, 0, tzinfo=UTC)),  # 23:00 there at the start
        ("America/New_York", datetime(2026, 3, 11, 13, 0, tzinfo=UTC)),
        (None, datetime(2026, 3, 11, 9, 0, tzinfo=UTC)),  # unknown zone: UTC
        ("Not/AZone", datetime(2026, 3, 11, 9, 0, tzinfo=UTC)),
    ],
)
def test_relative_dates_follow_the_callers_zone(zone: str | None, expected: datetime) -> None:
    turns = [
        ("user", "Yes, tomorrow at 9am is great."),
        ("agent", "All set: you're booked for tomorrow at 9am."),
    ]
    meeting = detect(record(turns, {"caller_time_zone": zone} if zone else {}))
    assert meeting is not None
    assert meeting.start == expected


def test_a_rebooking_replaces_the_first_booking() -> None:
    turns = [
        ("user", "Okay, Monday at 2pm."),
        ("agent", "Booked for Monday at 2pm."),
        ("user", "Sorry, could we move it to Wednesday afternoon?"),
        ("user", "Yes, 4:30 pm is great, no problem."),
        ("agent", "Done, I've moved it: you're booked for Wednesday at 4:30 pm."),
    ]
    meeting = detect(record(turns, NY))
    assert meeting is not None
    assert meeting.start == datetime(2026, 3, 11, 20, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "turns",
    [
        pytest.param(
            [
                ("agent", "Could we do Thursday at 2pm?"),
                ("user", "No, Thursday doesn't work."),
                ("agent", "Understood, I have not booked anything."),
            ],
            id="declined",
        ),
        pytest.param(
            [
                ("agent", "Our specialists are free Thursday at 2pm or Friday at 11am."),
                ("user", "I'll think about it."),
                ("agent", "Of course. Thank you for your time."),
            ],
            id="mentioned",
        ),
        pytest.param(
            [
                ("agent", "Thursday at 2pm?"),
                ("user", "Let me check my diary first."),
                ("agent", "I've scheduled a call back for Friday at 11am."),
            ],
            id="confirmed-without-agreement",
        ),
        pytest.param(
            [
                ("user", "Yes, Thursday at 2pm works."),
                ("agent", "I'm sorry, I couldn't book Thursday at 2pm, the slot is gone."),
            ],
            id="booking-failed",
        ),
        pytest.param(
            [("user", "Yes please."), ("agent", "Great, you're booked for Thursday.")],
            id="no-time-of-day",
        ),
        pytest.param(
            [("user", "Yes, that works."), ("agent", "Booked for 1 March 2026 at 9am.")],
            id="before-the-call",
        ),
        pytest.param([], id="no-transcript"),
    ],
)
def test_no_meeting(turns: list[tuple[str, str]]) -> None:
    assert detect(record(turns, NY)) is None
