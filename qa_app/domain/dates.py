"""Days and moments people type — in forms, command options, plan files and import files —
read one way everywhere, and only within the years qa_app can count days in.

A year such as 9999 or 0001 is a typo, and the calendar arithmetic around a day (the end of it,
a follow-up window after it, the periods of a panel) would run off the end of the calendar:
every reader refuses it with the value named, instead of failing later with a server error.
"""

from __future__ import annotations

from datetime import date, datetime

FIRST_YEAR, LAST_YEAR = 1900, 2199
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


class DayError(ValueError):
    """A typed day that is not a date, or outside the years qa_app counts in."""


def range_problem(value: date | datetime) -> str | None:
    """What is wrong with a day outside FIRST_YEAR..LAST_YEAR, or None."""
    if FIRST_YEAR <= value.year <= LAST_YEAR:
        return None
    shown = value.date() if isinstance(value, datetime) else value
    return f"{shown.isoformat()} is outside the years {FIRST_YEAR} to {LAST_YEAR}: check the year"


def read_day(text: str) -> date | None:
    """``text`` (YYYY-MM-DD) as a date, None when blank; raises :class:`DayError` saying what
    is wrong with the value when it is not a day qa_app can use."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise DayError(f"'{text[:40]}' is not a date (YYYY-MM-DD)") from None
    problem = range_problem(day)
    if problem:
        raise DayError(problem)
    return day


def parse_day(text: str, name: str) -> date | None:
    """:func:`read_day`, its refusal naming ``name`` (the field or option) first."""
    try:
        return read_day(text)
    except DayError as exc:
        raise DayError(f"{name}: {exc}") from None


def moment_text(value: datetime | date) -> str:
    """A stored or imported moment as people compare them in a message: to the second, and to
    the microsecond when it has one, so two values that differ never read the same."""
    if not isinstance(value, datetime):
        return value.isoformat()
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    return text + f".{value.microsecond:06d}".rstrip("0") if value.microsecond else text


def value_text(value) -> str:
    """A stored or imported value as a refusal message or the audit trail shows it: "blank"
    for none, moments by :func:`moment_text`, anything else as it reads."""
    if value is None:
        return "blank"
    return moment_text(value) if isinstance(value, date) else f"{value}"
