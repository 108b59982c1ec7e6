"""Review queues and workload: which calls are assigned to whom, and how far each is."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, literal_column
from sqlmodel import Session, select

from qa_app.domain.dates import DayError, parse_day
from qa_app.models import Assignment, Call, Review, Role, User, utcnow

TODO = "to do"
TEXT_FILTERS = ("queue", "interaction_type", "channel", "team", "save_script")
STATUSES = (TODO, "draft", "submitted")
PAGE_SIZE = 50


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``, the zone every timestamp is stored in."""
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass
class CallFilters:
    """Filters shared by the queue, bulk assignment and (later) exports. Blank means any."""

    queue: str = ""
    interaction_type: str = ""
    channel: str = ""
    team: str = ""
    save_script: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> tuple[CallFilters, list[str]]:
        """Read filters from request args; return them and any problems with the dates."""
        values, problems = {}, []
        for f in fields(cls):
            raw = (args.get(f.name) or "").strip()
            if f.name in ("since", "until"):
                try:
                    values[f.name] = parse_day(raw, f.name)
                except DayError as exc:
                    problems.append(str(exc))
            else:
                values[f.name] = raw[:200]
        filters = cls(**values)
        if filters.date_problem():
            problems.append(filters.date_problem())
        return filters, problems

    def date_problem(self) -> str | None:
        """A period that ends before it starts, said plainly (it would match nothing)."""
        if self.since and self.until and self.since > self.until:
            return f"since {self.since} is after until {self.until}: no day is in that period"
        return None

    def apply(self, query):
        for name in TEXT_FILTERS:
            value = getattr(self, name)
            if value:
                query = query.where(getattr(Call, name) == value)
        return self.apply_dates(query, Call.started_at)

    def apply_dates(self, query, column):
        """Keep rows whose ``column`` falls from ``since`` through ``until`` (whole UTC days)."""
        if self.since:
            query = query.where(column >= day_start(self.since))
        if self.until and self.until < date.max:  # the last day there is has no next day
            query = query.where(column < day_start(self.until + timedelta(days=1)))
        return query

    def as_args(self) -> dict[str, str]:
        return {
            f.name: str(getattr(self, f.name) or "") for f in fields(self) if getattr(self, f.name)
        }


# The assignee's review of the assigned call (none yet: the call is still to do).
_REVIEW_OF_ASSIGNMENT = and_(
    Review.call_pk == Assignment.call_pk, Review.reviewer_id == Assignment.reviewer_id
)


def _status_column():
    # The constant is SQL text, not a bound parameter: PostgreSQL compares GROUP BY with the
    # select list by expression, and two parameters ($1, $2) are different expressions.
    return case((Review.status.is_(None), literal_column(f"'{TODO}'")), else_=Review.status)


def _queue_query(reviewer_id: int):
    return (
        select(Assignment, Call, Review.id, Review.status)
        .join(Call, Call.id == Assignment.call_pk)
        .outerjoin(Review, _REVIEW_OF_ASSIGNMENT)
        .where(Assignment.reviewer_id == reviewer_id)
    )


@dataclass
class QueueRow:
    call: Call
    assigned_at: datetime
    review_id: int | None
    status: str


def reviewer_queue(
    db: Session, reviewer_id: int, filters: CallFilters, status: str = "", page: int = 1
) -> tuple[list[QueueRow], dict[str, int], int]:
    """One page of the reviewer's queue, counts per status (under the filters) and the total."""
    base = filters.apply(_queue_query(reviewer_id))
    counts = dict.fromkeys(STATUSES, 0)
    counted = filters.apply(
        select(_status_column(), func.count())
        .select_from(Assignment)
        .join(Call, Call.id == Assignment.call_pk)
        .outerjoin(Review, _REVIEW_OF_ASSIGNMENT)
        .where(Assignment.reviewer_id == reviewer_id)
        .group_by(_status_column())
    )
    counts.update(dict(db.exec(counted).all()))
    if status in STATUSES:
        base = base.where(_status_column() == status)
    total = counts[status] if status in STATUSES else sum(counts.values())
    # Drafts first (work in progress), then to do, then done; oldest assignment first.
    order = case((Review.status == "draft", 0), (Review.status.is_(None), 1), else_=2)
    rows = db.exec(
        base.order_by(order, Assignment.assigned_at, Assignment.id)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return (
        [
            QueueRow(call, assignment.assigned_at, review_id, review_status or TODO)
            for assignment, call, review_id, review_status in rows
        ],
        counts,
        total,
    )


def next_call(db: Session, reviewer_id: int, after_call_pk: int | None = None) -> Call | None:
    """The next call to work on: a draft first, else the oldest call still to do."""
    query = _queue_query(reviewer_id).where((Review.status.is_(None)) | (Review.status == "draft"))
    if after_call_pk is not None:
        query = query.where(Assignment.call_pk != after_call_pk)
    order = case((Review.status == "draft", 0), else_=1)
    row = db.exec(query.order_by(order, Assignment.assigned_at, Assignment.id).limit(1)).first()
    return row[1] if row else None


def workload(db: Session) -> list[dict]:
    """Per active reviewer or lead: assigned calls and how many are to do, draft, submitted."""
    status = _status_column()
    rows = db.exec(
        select(User.id, User.name, User.email, status, func.count())
        .select_from(User)
        .join(Assignment, Assignment.reviewer_id == User.id)
        .outerjoin(Review, _REVIEW_OF_ASSIGNMENT)
        .where(User.active)
        .group_by(User.id, User.name, User.email, status)
    ).all()
    people = {
        u.id: {"id": u.id, "name": u.name, "email": u.email, **dict.fromkeys(STATUSES, 0)}
        for u in assignable_users(db)
    }
    for user_id, name, email, state, count in rows:
        person = people.setdefault(
            user_id, {"id": user_id, "name": name, "email": email, **dict.fromkeys(STATUSES, 0)}
        )
        person[state] = count
    for person in people.values():
        person["assigned"] = sum(person[s] for s in STATUSES)
    return sorted(people.values(), key=lambda p: p["name"])


def assignable_users(db: Session) -> list[User]:
    return list(
        db.exec(
            select(User)
            .where(User.active, User.role.in_([Role.REVIEWER, Role.LEAD]))
            .order_by(User.name)
        )
    )


# A loose index scan: each step asks the column's index for the smallest value above the
# last one, so listing k distinct values costs k index seeks whatever the size of the calls
# table. ``SELECT DISTINCT`` walks every index entry instead (neither SQLite nor PostgreSQL
# before 18 skips through an index), which made the queue page grow with the table. Every
# filter column has an index (ix_calls_<column>, migration 0001); the column name comes from
# TEXT_FILTERS, never from a request.
_DISTINCT_BY_SEEKS = """
WITH RECURSIVE seen(value) AS (
    SELECT MIN({column}) FROM calls
    UNION ALL
    SELECT (SELECT MIN({column}) FROM calls WHERE {column} > seen.value)
    FROM seen WHERE seen.value IS NOT NULL
)
SELECT value FROM seen WHERE value IS NOT NULL ORDER BY value
"""


def filter_choices(db: Session) -> dict[str, list[str]]:
    """Distinct values for each filter drop-down, in order, blanks left out."""
    choices = {}
    for name in TEXT_FILTERS:
        rows = db.connection().exec_driver_sql(_DISTINCT_BY_SEEKS.format(column=name))
        choices[name] = [value for (value,) in rows if value]
    return choices


def assign_matching(
    db: Session,
    filters: CallFilters,
    reviewer: User,
    lead: User,
    limit: int | None,
    only_unassigned: bool,
) -> int:
    """Assign calls matching the filters to ``reviewer``; return how many were added."""
    query = filters.apply(select(Call.id))
    mine = select(Assignment.call_pk).where(Assignment.reviewer_id == reviewer.id)
    query = query.where(Call.id.not_in(mine))
    if only_unassigned:
        query = query.where(Call.id.not_in(select(Assignment.call_pk)))
    query = query.order_by(Call.started_at.desc(), Call.id)
    if limit:
        query = query.limit(limit)
    call_pks = list(db.exec(query))
    now = utcnow()
    db.add_all(
        [
            Assignment(call_pk=pk, reviewer_id=reviewer.id, assigned_by=lead.id, assigned_at=now)
            for pk in call_pks
        ]
    )
    return len(call_pks)
