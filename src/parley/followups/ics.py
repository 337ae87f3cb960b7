"""An RFC 5545 meeting request (METHOD:REQUEST), written by hand: one VEVENT is a few lines, and
the two rules that matter are here: TEXT escaping (3.3.11) and folding at 75 octets (3.1).

The UID is derived from the conversation, so a re-sent invitation updates the same calendar
entry instead of adding a second one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_OCTETS = 75
_UNSAFE_UID = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime  # aware
    end: datetime  # aware
    stamp: datetime  # when the invitation was made
    summary: str
    description: str
    organizer: str  # e-mail address
    attendee: str  # e-mail address
    organizer_name: str | None = None
    attendee_name: str | None = None
    sequence: int = 0


def uid_for(provider: str, remote_id: str, domain: str = "parley") -> str:
    """One calendar UID per conversation (RFC 5545 3.8.4.7 wants it globally unique)."""
    return f"meeting-{_UNSAFE_UID.sub('_', provider)}-{_UNSAFE_UID.sub('_', remote_id)}@{domain}"


def escape(text: str) -> str:
    """TEXT value escaping: backslash first, then `;` `,` and line breaks."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into <=75-octet pieces joined by CRLF + space, never inside a UTF-8
    sequence (the space that starts a continuation counts towards its 75)."""
    pieces: list[str] = []
    current, size, limit = "", 0, MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, MAX_OCTETS - 1
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _param(value: str) -> str:
    # A quoted parameter value may hold anything but DQUOTE and control characters.
    cleaned = "".join(c for c in value if c != '"' and (c >= " " or c == "\t"))
    return f'"{cleaned}"'


def _address(prop: str, email: str, name: str | None, extra: str = "") -> str:
    cn = f";CN={_param(name)}" if name else ""
    return f"{prop}{cn}{extra}:mailto:{email}"


def invitation(event: Event) -> str:
    """The VCALENDAR text with CRLF line ends, ready to attach as text/calendar."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Parley//Meeting follow-up//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_utc(event.stamp)}",
        f"DTSTART:{_utc(event.start)}",
        f"DTEND:{_utc(event.end)}",
        f"SEQUENCE:{event.sequence}",
        "STATUS:CONFIRMED",
        f"SUMMARY:{escape(event.summary)}",
        f"DESCRIPTION:{escape(event.description)}",
        _address("ORGANIZER", event.organizer, event.organizer_name),
        _address(
            "ATTENDEE",
            event.attendee,
            event.attendee_name,
            ";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE",
        ),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
