"""Dates and integers from query strings and forms: the one place that reads them.

Pages, the API and forms all parse through here, so a value Python or the
database cannot hold (`9999-12-31` plus a day, a year-1 time in UTC+14, a
hundred-digit id) is a clear `InputRefused` the caller answers with a 400,
never an OverflowError deep in the ORM.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

# A day of slack at both ends of Python's range: "until" adds a day and a
# time zone may shift a moment by up to 26 hours.
EARLIEST = datetime(1, 1, 3, tzinfo=UTC)
LATEST = datetime(9999, 12, 29, tzinfo=UTC)
# The widest integer PostgreSQL's bigint holds.
BIGINT = 2**63 - 1


class InputRefused(ValueError):
    """A parameter that cannot be used; the message names it and says why."""


def day(text: str, name: str) -> date:
    """A `YYYY-MM-DD` date, within the range a query can hold."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise InputRefused(f"{name} must be a date like 2026-03-01") from None
    _in_range(datetime.combine(value, time.min, tzinfo=UTC), name)
    return value


def day_start(text: str, name: str) -> datetime:
    """The first moment (UTC) of the day `text` names."""
    return datetime.combine(day(text, name), time.min, tzinfo=UTC)


def day_after(text: str, name: str) -> datetime:
    """The first moment (UTC) after the day `text` names: `until` is inclusive."""
    return day_start(text, name) + timedelta(days=1)


def moment(text: str, name: str) -> datetime:
    """A date (the end of that day, UTC) or a date and time (UTC if no zone)."""
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputRefused(
            f"{name} must be a date or a date and time, not {text[:40]!r}"
        ) from None
    if len(text) == 10:  # a date alone
        parsed = datetime.combine(parsed.date(), time.max)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _in_range(parsed, name)


def integer(text: str | None, name: str, *, minimum: int, maximum: int) -> int:
    """A decimal integer within [minimum, maximum] (at most a bigint)."""
    value = None
    cleaned = (text or "").strip()
    if cleaned.isascii() and cleaned.lstrip("-").isdigit() and len(cleaned) <= 20:
        value = int(cleaned)
    if value is None:
        raise InputRefused(f"{name} must be an integer, got {cleaned[:40]!r}")
    low, high = max(minimum, -BIGINT), min(maximum, BIGINT)
    if not low <= value <= high:
        raise InputRefused(f"{name} must be between {low} and {high}, got {value}")
    return value


def _in_range(value: datetime, name: str) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise InputRefused(
            f"{name} must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}"
        )
    return value
