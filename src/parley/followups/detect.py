"""Did a conversation book a meeting, and for when? Pure functions of a `ConversationRecord`.

The provider's data collection is trusted first (`meeting_booked` true and a parseable
`meeting_time`); an explicit `meeting_booked: false` is final. Otherwise the transcript is read:
a time counts only when an agent turn confirms a booking and restates it right after the user
agreed, so a slot that was merely offered, mentioned or declined never becomes a meeting.

Dates are read with `dateparser` (`search_dates`): it finds absolute ("on 4 December at 10:30")
and relative ("next Tuesday at 3pm", "tomorrow at 9am") expressions inside free text, resolves
them against a base time in an IANA zone, and ships its language data in the wheel, so it works
offline. python-dateutil alone parses absolute dates only; the relative grammar would be ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateparser import parse as parse_date
from dateparser.search import search_dates

from parley.conversations.schemas import ConversationRecord, DataValue, Turn

BOOKED_FIELD = "meeting_booked"
TIME_FIELD = "meeting_time"
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")

# The user's turn before the confirmation must agree and must not decline.
AGREE = re.compile(
    r"\b(yes|yeah|yep|sure|ok|okay|perfect|great|fine|works|sounds good|let'?s do|go ahead|"
    r"book it|that'?s good)\b",
    re.IGNORECASE,
)
DECLINE = re.compile(
    r"\b(no|not|can'?t|cannot|don'?t|doesn'?t|won'?t|busy|unavailable|rather not|decline|"
    r"cancel)\b",
    re.IGNORECASE,
)
HARMLESS_NO = re.compile(r"\bno (problem|worries)\b", re.IGNORECASE)
# The agent's turn must state a booking, not offer one or report a failure.
CONFIRM = re.compile(
    r"\b(booked|confirmed|scheduled|all set|locked in|put you down|see you|invitation|invite)\b",
    re.IGNORECASE,
)
FAILED = re.compile(r"\b(not|couldn'?t|can'?t|unable|no longer|cancel+ed)\b", re.IGNORECASE)
# A restated meeting names a day and a time of day; "Tuesday" alone would inherit the call's hour.
DAY = re.compile(
    r"\b(today|tomorrow|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
    r"nov|dec)[a-z]*\b|\d{1,4}[-/.]\d{1,2}",
    re.IGNORECASE,
)
TIME_OF_DAY = re.compile(r"\d{1,2}(:\d{2})?\s*([ap]\.?m\.?)|\b\d{1,2}:\d{2}\b|\bnoon\b", re.I)


@dataclass(frozen=True)
class Meeting:
    start: datetime  # UTC
    attendee: str | None
    source: Literal["data_collection", "transcript"]
    evidence: str  # the value or the agent's sentence the time was read from
    timezone: str  # the IANA zone relative expressions were read in


def detect(record: ConversationRecord) -> Meeting | None:
    """The meeting the conversation booked, or None."""
    zone = time_zone(record)
    attendee = attendee_email(record)
    base = _aware(record.started_at)
    booked = _flag(record.data_collection.get(BOOKED_FIELD))
    if booked is False:
        return None
    if booked:
        raw = record.data_collection.get(TIME_FIELD, DataValue()).value
        start = parse_time(raw, base, zone) if isinstance(raw, str) else None
        if start is not None:
            return Meeting(start, attendee, "data_collection", raw, zone)
    found = from_transcript(record.turns, base, zone)
    if found is None:
        return None
    return Meeting(found[0], attendee, "transcript", found[1], zone)


def _aware(value: datetime) -> datetime:
    # Parley stores times in UTC; a zone-less one is UTC, never the server's local time.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _flag(item: DataValue | None) -> bool | None:
    value = item.value if item is not None else None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text)


def _settings(base: datetime, zone: str) -> dict[str, Any]:
    # dateparser wants the base as naive wall-clock time of the zone the words were said in.
    local = _aware(base).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return {
        "RELATIVE_BASE": local,
        "TIMEZONE": zone,
        "TO_TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
    }


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def parse_time(text: str, base: datetime, zone: str) -> datetime | None:
    """A data-collection time: ISO 8601 (zone-less means the conversation's zone), else words.
    A time before the conversation started is not a booking."""
    text = text.strip()
    if not text:
        return None
    try:
        value: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        value = parse_date(text, languages=["en"], settings=_settings(base, zone))
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return _utc(value) if value > _aware(base) else None


def _agreed(turn: Turn | None) -> bool:
    if turn is None:
        return False
    text = HARMLESS_NO.sub("", turn.text)
    return bool(AGREE.search(text)) and not DECLINE.search(text)


def _restated(text: str, base: datetime, zone: str) -> datetime | None:
    found = search_dates(text, languages=["en"], settings=_settings(base, zone))
    for phrase, value in found or []:
        if DAY.search(phrase) and TIME_OF_DAY.search(phrase) and value > _aware(base):
            return _utc(value)
    return None


def from_transcript(turns: list[Turn], base: datetime, zone: str) -> tuple[datetime, str] | None:
    """The last time an agent confirmed right after the user agreed: (start UTC, sentence)."""
    confirmed: tuple[datetime, str] | None = None
    last_user: Turn | None = None
    for turn in turns:
        if turn.role == "user":
            last_user = turn
            continue
        if turn.role != "agent" or not CONFIRM.search(turn.text) or FAILED.search(turn.text):
            continue
        if not _agreed(last_user):
            continue
        start = _restated(turn.text, base, zone)
        if start is not None:
            confirmed = (start, turn.text)  # a later confirmation (a rebooking) wins
    return confirmed


def _zone(value: Any) -> str | None:
    if not isinstance(value, str) or ("/" not in value and value.upper() != "UTC"):
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


def time_zone(record: ConversationRecord) -> str:
    """The caller's or agent's IANA zone from data collection or dynamic variables, else UTC."""
    values: list[tuple[str, Any]] = [(k, v.value) for k, v in record.data_collection.items()]
    values += list(record.dynamic_variables.items())
    for key, value in values:
        if key.lower().replace("_", "").endswith("timezone") and (zone := _zone(value)):
            return zone
    return "UTC"


def attendee_email(record: ConversationRecord) -> str | None:
    """The address the invitation goes to: a data-collection `*email*` field (what the caller
    confirmed on the call) first, then a dynamic variable (what the CRM knew)."""
    values: list[tuple[str, Any]] = [(k, v.value) for k, v in record.data_collection.items()]
    values += list(record.dynamic_variables.items())
    for key, value in values:
        if "email" in key.lower() and isinstance(value, str) and EMAIL.match(value.strip()):
            return value.strip()
    return None
