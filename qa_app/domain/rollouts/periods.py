"""Period labels in an analyst's panel file: ISO weeks and calendar months, in calendar order.

A panel's periods may be whole numbers (1, 2, ... or years) or labels: ISO weeks
(``2025-W09``, also written ``2025-W9`` or ``2025W09``) or months (``2025-03``, also
``2025-3``). Labels are not compared as text, where ``2025-W9`` would sort after
``2025-W10``: each becomes its number on a calendar (weeks since 0001-01-01, or months since
year 0), so the order is the calendar's and a period missing from the file still counts as a
period. Reports show each period by its zero-padded label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)
MONTH = re.compile(r"(\d{4})-(\d{1,2})")
KINDS = {"number": "whole numbers", "week": "ISO weeks", "month": "months"}
EXPECTED = "use whole numbers (1, 2, ...), ISO weeks (2025-W09) or months (2025-03)"


@dataclass(frozen=True)
class Period:
    """One period read from a cell: its kind (number, week or month), its place on that
    kind's calendar, and the label to show."""

    kind: str
    key: int
    label: str


def parse_period(text: str) -> Period | None:
    """The period a cell holds, or None when it is not a week or month label."""
    week = WEEK.fullmatch(text.strip())
    if week:
        year, number = int(week.group(1)), int(week.group(2))
        try:
            monday = date.fromisocalendar(year, number, 1)
        except ValueError:  # week 0, or week 53 of a year with 52
            return None
        return Period("week", (monday.toordinal() - 1) // 7, f"{year}-W{number:02d}")
    month = MONTH.fullmatch(text.strip())
    if month and 1 <= int(month.group(2)) <= 12:
        year, number = int(month.group(1)), int(month.group(2))
        return Period("month", year * 12 + number - 1, f"{year}-{number:02d}")
    return None


def label_of(kind: str, key: int) -> str:
    """The zero-padded label of a week or month ``key`` (see parse_period)."""
    if kind == "week":
        year, week, _ = date.fromordinal(key * 7 + 1).isocalendar()
        return f"{year}-W{week:02d}"
    return f"{key // 12}-{key % 12 + 1:02d}"
