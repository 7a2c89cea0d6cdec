"""Dates and times as the format writes them (ISO 8601 dates, RFC 3339 date-times), read one way everywhere."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

#: The shapes of a date and of a date-time as people write them (a query's values, a command's options).
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$")


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date-time, `Z` or `z` meaning UTC; a naive one stays naive so callers can refuse it.

    ValueError when unreadable. `Z` is spelled out as +00:00 so that a zone after a bare date reads as before.
    """
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def parse_instant(text: str) -> datetime | None:
    """An ISO date or date-time as an aware datetime (a date is its midnight UTC, no zone means UTC); None if
    unreadable: records and evaluations are ordered by it and an unreadable one must not stop the others."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = parse_datetime(text)
        # in UTC: instants compare without converting (0001-01-01T00:00+01:00 falls before year 1 and cannot)
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # e.g. a +25:00 offset, or a zone that moves it past year 9999
        return None


def parse_day(text: str) -> date | None:
    """The calendar date a date or date-time starts with (its own zone's date); None if it starts with none."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_date(text: str) -> date:
    """A date written exactly YYYY-MM-DD (what a user types on the command line); ValueError saying why not."""
    if not DATE_RE.fullmatch(text):
        raise ValueError("expected YYYY-MM-DD")
    return date.fromisoformat(text)
