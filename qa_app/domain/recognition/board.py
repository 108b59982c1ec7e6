"""The team board of relationship-driven wins (issue 15, "Recognition").

Plain Python on plain rows: no Flask, no database (qa_app.store.recognition reads the rows).

A *retention attempt* is one of:

- an **alert**: an outreach alert closed with a pathway other than "no contact made" (the team
  reached the customer); its day is the day the alert was raised, its credit the credit
  recorded when it was closed. It is credited to the team that worked it (attributed_team):
  the team named in its ``assigned_to`` when that is a known team, else the most recent team
  of the agent named there when that is a known agent, else the team of the call behind it;
- a **save call**: a call with a customer id and a ``saved`` outcome of 1; its day is the day
  the call started, its credit the call's ``credit_amount`` outcome (blank counts as none).

For a quarter (e.g. 2026Q3), each team's customers are those with at least one of the team's
attempts in the quarter, counted once however many attempts (an alert and a save call for the
same customer is one customer). The 90-day follow-up starts on the customer's first attempt in
the quarter. A customer is **retained** when they had not ended on or before day 90 of the
follow-up (ended 90 days after the attempt counts as lost; 91 days, as retained). A customer
who had already ended on or before that first attempt was not at risk and is left out (as in
the outreach tracking report), shown as *ended before the attempt*. Only customers whose 90
days have passed by the as-of date count; the others are *still in follow-up*, and a customer
missing from the customer list cannot be followed (*unknown*). These are shown, never counted
as retained or lost. The as-of date cannot be after today: a customer whose 90 days end in the
future cannot be known to be retained.

**Credit** for a customer is the sum of the team's attempt credits for that customer in the
quarter; *retained without credit* means none of those attempts gave any credit. *Credit per
retained customer* is the credit given to the followed-up customers divided by those retained:
what keeping one customer cost, credits that did not keep anyone included.

Each team is set against its own previous quarter, computed the same way on the same as-of
date. A retention rate carries a Wilson 95% interval and the change against the previous
quarter a Newcombe (hybrid score) 95% interval, both from statsmodels; with fewer than
SMALL_NUMBER followed-up customers (in either quarter, for the change) there is no interval,
only the small-number note. The intervals treat customers as independent and say nothing of
cause. These are associations: a retained customer may have stayed anyway, and teams see
different customers; the board recognises wins, it does not prove the team caused them.

Attempts, their team and the counting that builds the board are in
qa_app.domain.recognition.attempts; this module holds the quarters, the figures, the rows and
their sorting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

FOLLOW_UP_DAYS = 90
# Fewer followed-up customers than this and a rate swings by chance: the row gets a note.
SMALL_NUMBER = 5
ASSOCIATION_NOTE = (
    "These are associations, not proof: a retained customer may have stayed anyway, and teams "
    "reach different customers. The board recognises wins; it does not show that a team caused "
    "them."
)
# Days the board can reason about: a quarter before and 90 days either side stay valid dates.
FIRST_YEAR, LAST_YEAR = 1900, 9998
QUARTER_PATTERN = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")


class RecognitionError(ValueError):
    """A choice the board cannot be built with (an unknown column, a bad quarter)."""


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, written 2026Q3."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026Q3`` (also ``2026-Q3``, ``2026q3``); a RecognitionError names what is wrong."""
        match = QUARTER_PATTERN.match(text or "")
        if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise RecognitionError(
                f"quarter: '{(text or '')[:40]}' is not a quarter; write it as YYYYQn, e.g. 2026Q3"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """The quarter a day falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        following = self.next()
        return following.first_day - timedelta(days=1)

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"


def check_as_of(day: date, today: date) -> date:
    """``day`` if the board can be built on it; a RecognitionError otherwise.

    ``today`` (the caller's UTC day) bounds it: on a later day customers would count as
    retained before their 90 days are up."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise RecognitionError(
            f"as of: {day.isoformat()} is outside the years {FIRST_YEAR} to {LAST_YEAR}"
        )
    if day > today:
        raise RecognitionError(
            f"as of: {day.isoformat()} is after today ({today.isoformat()}, UTC); a customer's "
            f"{FOLLOW_UP_DAYS} days cannot be known to have passed on a day still to come"
        )
    return day


def default_quarter(as_of: date) -> Quarter:
    """The latest quarter whose earliest attempts have finished their follow-up by ``as_of``."""
    return Quarter.containing(as_of - timedelta(days=FOLLOW_UP_DAYS))


@dataclass
class QuarterFigures:
    """One team's figures for one quarter."""

    customers: int = 0
    in_follow_up: int = 0
    unknown: int = 0
    ended_before: int = 0  # had ended on or before their first attempt: not at risk, left out
    followed_up: int = 0
    retained: int = 0
    retained_without_credit: int = 0
    credit: float = 0.0  # given to the followed-up customers
    via_alert: int = 0
    via_save_call: int = 0

    @property
    def retention_rate(self) -> float | None:
        return self.retained / self.followed_up if self.followed_up else None

    @property
    def credit_per_retained(self) -> float | None:
        return self.credit / self.retained if self.retained else None

    @property
    def retention_ci(self) -> tuple[float, float] | None:
        """Wilson 95% interval of the retention rate; None under SMALL_NUMBER followed up."""
        if self.followed_up < SMALL_NUMBER:
            return None
        from statsmodels.stats.proportion import proportion_confint

        low, high = proportion_confint(self.retained, self.followed_up, 0.05, "wilson")
        return float(low), float(high)

    def as_json(self) -> dict:
        return {
            "customers": self.customers,
            "in_follow_up": self.in_follow_up,
            "unknown_customer": self.unknown,
            "ended_before_attempt": self.ended_before,
            "followed_up": self.followed_up,
            "retained": self.retained,
            "retained_without_credit": self.retained_without_credit,
            "retention_rate": _round(self.retention_rate),
            "retention_rate_ci95": _round_pair(self.retention_ci),
            "credit": round(self.credit, 2),
            "credit_per_retained": _round(self.credit_per_retained, 2),
            "via_alert": self.via_alert,
            "via_save_call": self.via_save_call,
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _round_pair(pair: tuple[float, float] | None) -> list[float] | None:
    return None if pair is None else [round(pair[0], 4), round(pair[1], 4)]


def _difference(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


@dataclass
class TeamRow:
    """A team's line on the board: this quarter, the previous one, the change, and notes."""

    team: str
    current: QuarterFigures
    previous: QuarterFigures
    notes: list[str] = field(default_factory=list)

    @property
    def rate_change(self) -> float | None:
        return _difference(self.current.retention_rate, self.previous.retention_rate)

    @property
    def rate_change_ci(self) -> tuple[float, float] | None:
        """Newcombe's hybrid score 95% interval of the rate change (this quarter minus the
        previous); None when either quarter has fewer than SMALL_NUMBER followed up."""
        now, before = self.current, self.previous
        if min(now.followed_up, before.followed_up) < SMALL_NUMBER:
            return None
        from qa_app.domain.comparison_statistics import rate_difference_interval

        low, high = rate_difference_interval(
            now.retained / now.followed_up,
            now.followed_up,
            before.retained / before.followed_up,
            before.followed_up,
        )
        return low, high

    @property
    def retained_change(self) -> int:
        return self.current.retained - self.previous.retained

    @property
    def without_credit_change(self) -> int:
        return self.current.retained_without_credit - self.previous.retained_without_credit

    @property
    def credit_per_retained_change(self) -> float | None:
        return _difference(self.current.credit_per_retained, self.previous.credit_per_retained)

    def value(self, column: str):
        """The value the board sorts ``column`` by."""
        return COLUMNS[column][1](self)

    def as_json(self) -> dict:
        return {
            "team": self.team,
            "quarter": self.current.as_json(),
            "previous_quarter": self.previous.as_json(),
            "change": {
                "retained": self.retained_change,
                "retained_without_credit": self.without_credit_change,
                "retention_rate": _round(self.rate_change),
                "retention_rate_ci95": _round_pair(self.rate_change_ci),
                "credit_per_retained": _round(self.credit_per_retained_change, 2),
            },
            "notes": list(self.notes),
        }


# column -> (heading, value); the order is the board's.
COLUMNS = {
    "team": ("Team", lambda r: r.team),
    "customers": ("Customers", lambda r: r.current.customers),
    "in_follow_up": ("Still in follow-up", lambda r: r.current.in_follow_up),
    "followed_up": ("Followed up", lambda r: r.current.followed_up),
    "retained": ("Retained", lambda r: r.current.retained),
    "retention_rate": ("Retention rate", lambda r: r.current.retention_rate),
    "retained_without_credit": ("Without credit", lambda r: r.current.retained_without_credit),
    "credit": ("Credit", lambda r: r.current.credit),
    "credit_per_retained": ("Credit per retained", lambda r: r.current.credit_per_retained),
    "previous_retention_rate": ("Previous rate", lambda r: r.previous.retention_rate),
    "rate_change": ("Rate change", lambda r: r.rate_change),
    "retained_change": ("Retained change", lambda r: r.retained_change),
    "without_credit_change": ("Without credit change", lambda r: r.without_credit_change),
    "credit_per_retained_change": (
        "Credit per retained change",
        lambda r: r.credit_per_retained_change,
    ),
}
DIRECTIONS = ("asc", "desc")


def default_direction(column: str) -> str:
    """Teams A to Z; figures largest first."""
    return "asc" if column == "team" else "desc"


def sort_rows(rows: Iterable[TeamRow], column: str, direction: str | None = None) -> list[TeamRow]:
    """Rows sorted by ``column`` (``asc`` or ``desc``); ties keep team-name order and blank
    values (no rate, no credit per retained) go last either way."""
    if column not in COLUMNS:
        raise RecognitionError(
            f"sort: '{column[:40]}' is not a column; choose one of {', '.join(COLUMNS)}"
        )
    direction = direction or default_direction(column)
    if direction not in DIRECTIONS:
        raise RecognitionError(f"dir: '{direction[:40]}' is not asc or desc")
    by_team = sorted(rows, key=lambda r: (r.team.casefold(), r.team))
    if column == "team":
        return by_team if direction == "asc" else by_team[::-1]
    present = [r for r in by_team if r.value(column) is not None]
    blank = [r for r in by_team if r.value(column) is None]
    # sorted() is stable, reverse=True included: equal values stay in team order.
    return sorted(present, key=lambda r: r.value(column), reverse=direction == "desc") + blank


@dataclass
class Board:
    """The whole board for a quarter on an as-of date."""

    quarter: Quarter
    as_of: date
    rows: list[TeamRow]
    sort: str
    direction: str
    follow_up_days: int = FOLLOW_UP_DAYS

    @property
    def previous_quarter(self) -> Quarter:
        return self.quarter.previous()

    def as_json(self) -> dict:
        return {
            "quarter": str(self.quarter),
            "previous_quarter": str(self.previous_quarter),
            "as_of": self.as_of.isoformat(),
            "follow_up_days": self.follow_up_days,
            "sort": self.sort,
            "dir": self.direction,
            "note": ASSOCIATION_NOTE,
            "teams": [row.as_json() for row in self.rows],
        }
