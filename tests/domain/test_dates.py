"""Typed days: read one way everywhere, refused (naming field and value) when they are not days
or fall outside the years qa_app counts in."""

from __future__ import annotations

from datetime import date

import pytest

from qa_app.domain.dates import DayError, parse_day
from qa_app.domain.files.tables import parse_timestamp
from qa_app.domain.files.toml_files import as_date


def test_a_day_is_read_and_blank_is_none():
    assert parse_day(" 2026-11-30 ", "until") == date(2026, 11, 30)
    assert parse_day("", "until") is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("9999-12-31", "until: 9999-12-31 is outside the years 1900 to 2199: check the year"),
        ("0001-01-01", "until: 0001-01-01 is outside the years 1900 to 2199: check the year"),
        ("2026-02-30", "until: '2026-02-30' is not a date (YYYY-MM-DD)"),
        ("next week", "until: 'next week' is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_day_that_cannot_be_used_is_refused_by_name(typed, message):
    with pytest.raises(DayError) as refused:
        parse_day(typed, "until")
    assert str(refused.value) == message


@pytest.mark.parametrize("typed", ["9999-12-31", "9999-12-31T23:59:00-01:00", "0001-01-01"])
def test_timestamps_outside_the_years_are_refused_not_overflowed(typed):
    with pytest.raises(ValueError, match="outside the years 1900 to 2199"):
        parse_timestamp(typed)


def test_plan_file_days_outside_the_years_are_no_days():
    assert as_date(date(2026, 10, 1)) == date(2026, 10, 1)
    assert as_date(date(9999, 12, 31)) is None and as_date("0001-01-01") is None
