"""The interaction and channel mix: all calls of a month against the reviewed ones.

A call counts as reviewed once it has a submitted review. Months are calendar months in UTC
(the zone every timestamp is stored in). The months that have calls are found by stepping
down the started_at index one month at a time (one seek per month), never by reading every
call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, exists, func
from sqlmodel import Session, select

from qa_app.models import Call, Review, ReviewStatus
from qa_app.store.reviews.queue import day_start

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIELDS = ("interaction_type", "channel")
NO_VALUE = "(none)"
HISTORY_MONTHS = 12


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month | None:
        """A month from 'YYYY-MM', or None when the text is not one."""
        match = MONTH.match(text.strip())
        if not match:
            return None
        year, month = int(match[1]), int(match[2])
        if not (1 <= month <= 12 and 1 <= year <= 9998):
            return None
        return cls(year, month)

    @classmethod
    def of(cls, moment: datetime | date) -> Month:
        return cls(moment.year, moment.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next().first_day.toordinal() - 1)

    def bounds(self) -> tuple[datetime, datetime]:
        """Start of the month and start of the next, UTC."""
        return day_start(self.first_day), day_start(self.next().first_day)


def months_with_calls(db: Session, limit: int = HISTORY_MONTHS, before: Month | None = None):
    """The latest ``limit`` months that have calls (newest first), up to ``before`` included
    when given."""
    found: list[Month] = []
    ceiling = before.next().bounds()[0] if before else None
    while len(found) < limit:
        query = select(func.max(Call.started_at))
        if ceiling is not None:
            query = query.where(Call.started_at < ceiling)
        latest = db.exec(query).one()
        if latest is None:
            break
        month = Month.of(latest)
        found.append(month)
        ceiling = month.bounds()[0]
    return found


def _reviewed():
    submitted = select(Review.id).where(
        Review.call_pk == Call.id, Review.status == ReviewStatus.SUBMITTED
    )
    return exists(submitted)


@dataclass
class MixRow:
    value: str
    population: int
    reviewed: int
    population_share: float
    reviewed_share: float | None

    @property
    def difference(self) -> float | None:
        """Reviewed share minus population share (None when nothing was reviewed)."""
        if self.reviewed_share is None:
            return None
        return self.reviewed_share - self.population_share


def mix(db: Session, month: Month, field: str) -> list[MixRow]:
    """Per value of ``field`` ('interaction_type' or 'channel'): calls started in the month,
    reviewed calls among them, and each one's share of its total."""
    if field not in FIELDS:
        raise ValueError(f"mix by {field!r}: choose one of {', '.join(FIELDS)}")
    column = getattr(Call, field)
    since, until = month.bounds()
    rows = db.exec(
        select(column, func.count(), func.sum(case((_reviewed(), 1), else_=0)))
        .where(Call.started_at >= since, Call.started_at < until)
        .group_by(column)
    ).all()
    counts: dict[str, list[int]] = {}
    for value, population, reviewed in rows:
        key = value if value not in (None, "") else NO_VALUE
        pair = counts.setdefault(key, [0, 0])
        pair[0] += int(population)
        pair[1] += int(reviewed or 0)
    total = sum(p for p, _ in counts.values())
    reviewed_total = sum(r for _, r in counts.values())
    return [
        MixRow(
            value=key,
            population=population,
            reviewed=reviewed,
            population_share=population / total if total else 0.0,
            reviewed_share=reviewed / reviewed_total if reviewed_total else None,
        )
        for key, (population, reviewed) in sorted(counts.items())
    ]


def mix_history(db: Session, months: list[Month], field: str = "interaction_type") -> dict:
    """The mix of each month (oldest first) and every value seen in any of them:
    ``{"months": [(month, {value: MixRow})], "values": [...]}``."""
    history = []
    values: set[str] = set()
    for month in sorted(months):
        rows = {row.value: row for row in mix(db, month, field)}
        values.update(rows)
        history.append((month, rows))
    return {"months": history, "values": sorted(values)}
