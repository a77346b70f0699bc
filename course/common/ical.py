"""iCalendar (RFC 5545) text for a feed of events: pure, no Django.

Written by hand because the rules a calendar app relies on are few and exact: CRLF line
endings (3.1), lines folded at 75 octets without splitting a UTF-8 character (3.1), TEXT
values with backslash, semicolon, comma and newline escaped (3.3.11), and every VEVENT with a
UID, a DTSTAMP and a DTSTART, written in UTC with a trailing Z (3.3.5, form #2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Cloud Compute Course//Due dates//EN"
FOLD_AT = 75  # octets, CRLF excluded


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime  # aware
    summary: str
    description: str = ""
    url: str = ""


def escape(text: str) -> str:
    """A TEXT value: backslash first, then ; , and newlines (CRLF, CR or LF) as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("iCalendar times here must be aware datetimes")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, each continuation starting with a
    space (which counts toward its 75), never inside a multi-byte character."""
    pieces: list[str] = []
    current, size, limit = "", 0, FOLD_AT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, FOLD_AT - 1
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def calendar(events: Iterable[Event], name: str, now: datetime | None = None) -> str:
    stamp = utc(now or datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape(event.uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{utc(event.start)}",
            f"SUMMARY:{escape(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
