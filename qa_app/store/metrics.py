"""Per-call values of a catalogue metric (qa_app.domain.metrics), read from the database.

Flags and dimensions come from each call's *final* scores, exactly as the exports compute them
(qa_app.store.flags.rows.iter_flag_rows: consensus, else the review, else the median of the
reviews); outcomes come from the outcomes table.

Both functions take an Engine or a Session. The *_queries modules take the request's Session
in views (``g.db``) and a ``Session(engine)`` the CLI opens, while the report-level helpers
(flag_summary) take the engine the CLI's ``command_app`` returns; accepting either lets the
CLI, the views and the experiment reports call this without opening a session for it. Given
a Session, nothing is committed or closed.

Dates (``since``, ``until``) are whole UTC days, both inclusive, as everywhere in the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from qa_app.domain.metrics import (
    CREDIT_OUTCOME,
    CREDIT_PER_SAVE,
    DIMENSION,
    FLAG,
    OUTCOME,
    SAVED_OUTCOME,
    MetricSpec,
    credit_per_save_metric,
    dimension_metric,
    flag_metric,
    outcome_metric,
)
from qa_app.models import Call, Outcome, Review, ReviewStatus, RubricVersion
from qa_app.store.flags.rows import iter_flag_rows, outcome_kinds, plan_export
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.rubrics import DEFAULT_RUBRIC_ID, rubric_from_row

COLUMNS = [
    "call_id",
    "agent",
    "team",
    "queue",
    "channel",
    "interaction_type",
    "started_at",
    "agent_tenure_days",
    "customer_id",
    "value",
]
_CALL_COLUMNS = COLUMNS[:-1]


class MetricError(ValueError):
    """The metric cannot be read as asked; the message says what exists instead."""


@contextmanager
def _session(engine_or_session: Engine | Session) -> Iterator[Session]:
    if isinstance(engine_or_session, Session):
        yield engine_or_session
    else:
        with Session(engine_or_session) as db:
            yield db


def _day(value: datetime | date | None) -> date | None:
    if value is None or not isinstance(value, datetime):
        return value
    return (value.astimezone(UTC) if value.tzinfo else value).date()


def _naive_utc(value):
    # SQLite hands back naive datetimes, PostgreSQL may hand back aware ones: one form for pandas.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["started_at"] = pd.to_datetime(frame["started_at"].map(_naive_utc))
    frame["value"] = frame["value"].astype(float)
    return frame


def call_metric_frame(
    engine_or_session: Engine | Session,
    spec: MetricSpec,
    *,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    rubric: str | None = None,
    default_rubric_id: str = DEFAULT_RUBRIC_ID,
) -> pd.DataFrame:
    """One row per call that has a value of ``spec``: call fields and ``value`` (float).

    ``rubric`` (``id@version``) picks the rubric version for flags and dimensions; without it,
    the one version used in the period (several: MetricError asking to choose, as the exports
    do). An unknown flag, dimension or outcome is a MetricError listing the known ones.
    """
    filters = CallFilters(since=_day(since), until=_day(until))
    if filters.date_problem():
        raise MetricError(filters.date_problem())
    with _session(engine_or_session) as db:
        if spec.kind in (FLAG, DIMENSION):
            return _score_frame(db, spec, filters, rubric, default_rubric_id)
        if spec.kind == OUTCOME:
            return _outcome_frame(db, spec, filters)
        if spec.kind == CREDIT_PER_SAVE:
            return _credit_per_save_frame(db, filters)
    raise MetricError(f"unknown metric kind '{spec.kind}'")


def _score_frame(db, spec, filters, rubric_key, default_rubric_id) -> pd.DataFrame:
    plan = plan_export(db, filters, rubric_key, default_rubric_id)
    if spec.kind == FLAG:
        known = [f.name for f in plan.rubric.flags]
        column = f"flag_{spec.name}"
    else:
        known = [d.id for d in plan.rubric.dimensions]
        column = f"score_{spec.name}"
    if spec.name not in known:
        raise MetricError(
            f"metric '{spec.key}': rubric {plan.rubric.key} has no {spec.kind} "
            f"'{spec.name}'; its {spec.kind}s: {', '.join(known)}"
        )
    rows = []
    for row in iter_flag_rows(db, filters, plan, outcomes=False):
        value = row.get(column)
        if value is None:  # N/A on every review, or a flag whose dimensions were N/A
            continue
        record = {name: row.get(name) for name in _CALL_COLUMNS if name != "customer_id"}
        record["value"] = float(value)
        rows.append(record)
    frame = _frame(rows)
    # iter_flag_rows does not carry the customer: one query for the calls that have a value.
    if not frame.empty:
        customers = _customers(db, list(frame["call_id"]))
        frame["customer_id"] = frame["call_id"].map(customers)
    return frame


def _customers(db: Session, call_ids: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for start in range(0, len(call_ids), 2000):
        chunk = call_ids[start : start + 2000]
        query = select(Call.call_id, Call.customer_id).where(Call.call_id.in_(chunk))
        found.update((call_id, customer) for call_id, customer in db.exec(query))
    return found


def _check_outcome(db: Session, spec: MetricSpec, name: str) -> None:
    names = [n for n, _kind in outcome_kinds(db)]
    if name not in names:
        raise MetricError(
            f"metric '{spec.key}': no outcome named '{name}' has been imported; "
            f"outcomes: {', '.join(names) or 'none'}"
        )


def _call_columns():
    return [getattr(Call, name) for name in _CALL_COLUMNS]


def _outcome_frame(db: Session, spec: MetricSpec, filters: CallFilters) -> pd.DataFrame:
    _check_outcome(db, spec, spec.name)
    query = filters.apply(
        select(*_call_columns(), Outcome.value)
        .join(Outcome, Outcome.call_pk == Call.id)
        .where(Outcome.name == spec.name)
        .order_by(Call.id)
    )
    return _frame([dict(zip(COLUMNS, row, strict=True)) for row in db.exec(query)])


def _credit_per_save_frame(db: Session, filters: CallFilters) -> pd.DataFrame:
    spec = credit_per_save_metric()
    _check_outcome(db, spec, SAVED_OUTCOME)
    _check_outcome(db, spec, CREDIT_OUTCOME)
    saved, credit = aliased(Outcome), aliased(Outcome)
    query = filters.apply(
        select(*_call_columns(), credit.value)
        .join(saved, (saved.call_pk == Call.id) & (saved.name == SAVED_OUTCOME))
        .join(credit, (credit.call_pk == Call.id) & (credit.name == CREDIT_OUTCOME))
        .where(saved.value == 1)
        .order_by(Call.id)
    )
    return _frame([dict(zip(COLUMNS, row, strict=True)) for row in db.exec(query)])


def available_metrics(engine_or_session: Engine | Session) -> list[MetricSpec]:
    """Flags and dimensions of every rubric version with submitted reviews, every imported
    outcome, and credit_per_save when both its outcomes exist; each key once, in that order."""
    with _session(engine_or_session) as db:
        used = select(Review.rubric_pk).where(Review.status == ReviewStatus.SUBMITTED).distinct()
        rows = db.exec(
            select(RubricVersion)
            .where(RubricVersion.id.in_(used))
            .order_by(RubricVersion.rubric_id, RubricVersion.version)
        ).all()
        outcomes = [name for name, _kind in outcome_kinds(db)]
        specs: dict[str, MetricSpec] = {}
        for row in rows:
            parsed = rubric_from_row(row)
            for flag in parsed.flags:
                spec = flag_metric(flag.name)
                specs.setdefault(spec.key, spec)
            for dimension in parsed.dimensions:
                spec = dimension_metric(dimension.id)
                specs.setdefault(spec.key, spec)
    for name in outcomes:
        try:
            spec = outcome_metric(name)
        except ValueError:  # a name no metric key can spell (spaces, ...) cannot be asked for
            continue
        specs.setdefault(spec.key, spec)
    if SAVED_OUTCOME in outcomes and CREDIT_OUTCOME in outcomes:
        spec = credit_per_save_metric()
        specs[spec.key] = spec
    return list(specs.values())
