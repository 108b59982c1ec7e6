"""Database rows for the coach's exports: calls with final scores, flags, weights and outcomes.

Calls come from one streamed query in partitions of 2,000; each partition's answers,
outcomes and consensus are read beside it, and rows are handed on one by one, so an
export of a year of calls never holds a whole table in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, union
from sqlmodel import Session, select

from qa_app.domain.flags.comparison_groups import ComparisonRow
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.final_scores import final_scores
from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.models import (
    CalibrationConsensus,
    CalibrationSession,
    Call,
    Outcome,
    Review,
    ReviewScore,
    ReviewStatus,
    RubricVersion,
    SurveyResponse,
)
from qa_app.store.calibration.results import consensus_for_calls
from qa_app.store.reviews.queue import TEXT_FILTERS, CallFilters
from qa_app.store.rubrics import current_rubric_row, rubric_from_row
from qa_app.store.sampling.weights import Weighting, weighting_for

BATCH_SIZE = 2000
CALL_FIELDS = (
    "call_id",
    "started_at",
    "agent",
    "team",
    "queue",
    "channel",
    "interaction_type",
    "save_script",
    "agent_tenure_days",
)


class ExportError(ValueError):
    """The export cannot run as asked; the message says what to change."""


def _scored(rubric_pk: int):
    """Calls with final scores under this rubric version: a submitted review or a consensus."""
    reviewed = select(Review.call_pk).where(
        Review.status == ReviewStatus.SUBMITTED, Review.rubric_pk == rubric_pk
    )
    agreed = (
        select(CalibrationConsensus.call_pk)
        .join(CalibrationSession, CalibrationSession.id == CalibrationConsensus.session_id)
        .where(CalibrationSession.rubric_pk == rubric_pk)
    )
    return union(reviewed, agreed)


def choose_rubric(
    db: Session, filters: CallFilters, rubric_key: str | None, default_rubric_id: str
) -> RubricVersion:
    """The rubric version to export: the one asked for, or the only one used in the period.

    Periods that mix versions must name one: their scores and flags mean different things.
    """
    if rubric_key:
        rubric_id, _, version = rubric_key.partition("@")
        row = db.exec(
            select(RubricVersion).where(
                RubricVersion.rubric_id == rubric_id,
                RubricVersion.version
                == (
                    int(version)
                    if version.isascii() and version.isdigit() and len(version) < 10
                    else -1
                ),
            )
        ).first()
        if row is None:
            known = ", ".join(r.key for r in db.exec(select(RubricVersion)))
            raise ExportError(f"unknown rubric '{rubric_key}'; loaded: {known or 'none'}")
        return row
    # One indexed probe per loaded version (there are few): counting every review in a
    # year of calls just to find the versions in use took 20 s on a million calls.
    versions = db.exec(
        select(RubricVersion).order_by(RubricVersion.rubric_id, RubricVersion.version)
    ).all()
    used = [
        version
        for version in versions
        if db.exec(
            filters.apply(
                select(Review.id)
                .join(Call, Call.id == Review.call_pk)
                .where(Review.rubric_pk == version.id, Review.status == ReviewStatus.SUBMITTED)
            ).limit(1)
        ).first()
        is not None
    ]
    if len(used) > 1:
        counts = dict(
            db.exec(
                filters.apply(
                    select(Review.rubric_pk, func.count(func.distinct(Review.call_pk)))
                    .join(Call, Call.id == Review.call_pk)
                    .where(Review.status == ReviewStatus.SUBMITTED)
                    .group_by(Review.rubric_pk)
                )
            ).all()
        )
        listing = ", ".join(f"{row.key} ({counts.get(row.id, 0)} calls)" for row in used)
        raise ExportError(
            f"the calls in this period were reviewed under several rubric versions: "
            f"{listing}. Choose one: --rubric ID@VERSION, or Rubric version on the Coaching page."
        )
    if used:
        return used[0]
    row = current_rubric_row(db, default_rubric_id)
    if row is None:
        raise ExportError(f"no '{default_rubric_id}' rubric is loaded")
    return row


def outcome_kinds(db: Session) -> list[tuple[str, str]]:
    """Every outcome name imported so far, with its kind, in name order."""
    return [
        tuple(r)
        for r in db.exec(select(Outcome.name, Outcome.kind).distinct().order_by(Outcome.name))
    ]


def count_rows(db: Session, filters: CallFilters, rubric_pk: int) -> int:
    return db.exec(
        filters.apply(select(func.count()).select_from(Call).where(Call.id.in_(_scored(rubric_pk))))
    ).one()


@dataclass
class ExportPlan:
    """Everything decided before the rows stream: rubric, outcome columns, weighting."""

    rubric_row: RubricVersion
    rubric: Rubric
    outcomes: list[tuple[str, str]]
    weighting: Weighting
    row_count: int
    # Customer survey items answered so far: a survey_<item> column each.
    survey_items: list[str] = field(default_factory=list)


def check_filter_values(db: Session, filters: CallFilters) -> None:
    """A filter value no call has is almost always a typo: say so rather than export nothing."""
    if filters.date_problem():
        raise ExportError(filters.date_problem())
    for name in TEXT_FILTERS:
        value = getattr(filters, name)
        if not value:
            continue
        column = getattr(Call, name)
        if db.exec(select(Call.id).where(column == value).limit(1)).first() is None:
            known = [v for v in db.exec(select(column).distinct().order_by(column)) if v]
            shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
            raise ExportError(f"no call has {name} '{value}'; known values: {shown or 'none'}")


def plan_export(
    db: Session, filters: CallFilters, rubric_key: str | None, default_rubric_id: str
) -> ExportPlan:
    check_filter_values(db, filters)
    row = choose_rubric(db, filters, rubric_key, default_rubric_id)
    return ExportPlan(
        row,
        rubric_from_row(row),
        outcome_kinds(db),
        weighting_for(db, filters, _scored(row.id)),
        count_rows(db, filters, row.id),
        survey_items(db),
    )


def survey_items(db: Session) -> list[str]:
    """Every customer survey item answered so far, in name order."""
    return list(db.exec(select(SurveyResponse.item).distinct().order_by(SurveyResponse.item)))


def _survey_by_call(db: Session, call_pks: list[int]) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for call_pk, item, score in db.exec(
        select(SurveyResponse.call_pk, SurveyResponse.item, SurveyResponse.score).where(
            SurveyResponse.call_pk.in_(call_pks)
        )
    ):
        result[call_pk][f"survey_{item}"] = score
    return result


def iter_flag_rows(
    db: Session, filters: CallFilters, plan: ExportPlan, batch_size: int = BATCH_SIZE
) -> Iterator[dict]:
    """One dict per reviewed call: call fields, final scores, flags, source, weight, outcomes."""
    rubric, rubric_pk = plan.rubric, plan.rubric_row.id
    # Plain columns rather than ORM objects: an export reads every reviewed call. One query,
    # streamed in partitions (a server-side cursor on PostgreSQL): re-running it per batch
    # would evaluate the "has final scores" subquery again each time.
    columns = [Call.id, *(getattr(Call, name) for name in CALL_FIELDS)]
    query = filters.apply(select(*columns).where(Call.id.in_(_scored(rubric_pk))))
    result = db.exec(query.order_by(Call.id).execution_options(yield_per=batch_size))
    # Flags depend only on the scores, and a rubric has few score combinations.
    flags_by_scores: dict[tuple, dict[str, bool | None]] = {}
    for calls in result.partitions():
        pks = [c[0] for c in calls]
        answers = _answers_by_call(db, pks, rubric_pk)
        outcomes = _outcomes_by_call(db, pks)
        surveyed = _survey_by_call(db, pks) if plan.survey_items else {}
        agreed = consensus_for_calls(db, pks, rubric_pk)
        for call_pk, *values in calls:
            final = final_scores(rubric, answers.get(call_pk, []), agreed.get(call_pk))
            row = dict(zip(CALL_FIELDS, values, strict=True))
            row.update({f"score_{d}": v for d, v in final.scores.items()})
            key = tuple(final.scores.values())
            if key not in flags_by_scores:
                flags = final.flags(rubric)
                flags_by_scores[key] = {f"flag_{f}": v for f, v in flags.items()}
            row.update(flags_by_scores[key])
            row["score_source"] = final.source
            row["review_count"] = final.review_count
            row["weight"], row["design_stratum"] = plan.weighting.weight_and_stratum(
                call_pk, row["interaction_type"], row["started_at"]
            )
            row.update({f"outcome_{n}": v for n, v in outcomes.get(call_pk, {}).items()})
            row.update(surveyed.get(call_pk, {}))
            yield row


def _answers_by_call(
    db: Session, call_pks: list[int], rubric_pk: int
) -> dict[int, list[dict[str, DimensionAnswer]]]:
    # Version and status are checked here, not in SQL: given them, SQLite (which has no
    # statistics unless ANALYZE ran) walks the rubric index, every review of that version,
    # for each batch — 20x slower on a million calls than looking the calls up.
    rows = db.exec(
        select(
            Review.call_pk,
            Review.id,
            Review.rubric_pk,
            Review.status,
            ReviewScore.dimension,
            ReviewScore.score,
            ReviewScore.not_applicable,
        )
        .join(ReviewScore, ReviewScore.review_id == Review.id)
        .where(Review.call_pk.in_(call_pks))
    ).all()
    reviews: dict[int, dict[int, dict[str, DimensionAnswer]]] = defaultdict(dict)
    for call_pk, review_id, version, status, dimension, score, not_applicable in rows:
        if version != rubric_pk or status != ReviewStatus.SUBMITTED:
            continue
        reviews[call_pk].setdefault(review_id, {})[dimension] = DimensionAnswer(
            score, not_applicable
        )
    return {pk: list(by_review.values()) for pk, by_review in reviews.items()}


def _outcomes_by_call(db: Session, call_pks: list[int]) -> dict[int, dict[str, float]]:
    result: dict[int, dict[str, float]] = defaultdict(dict)
    for call_pk, name, kind, value in db.exec(
        select(Outcome.call_pk, Outcome.name, Outcome.kind, Outcome.value).where(
            Outcome.call_pk.in_(call_pks)
        )
    ):
        if kind == "boolean":
            result[call_pk][name] = bool(value)
        else:  # 3 rather than 3.0 in the spreadsheet when the value is whole
            result[call_pk][name] = int(value) if float(value).is_integer() else value
    return result


def comparison_row(row: dict, outcome: str, flag_names: list[str], weighted: bool) -> ComparisonRow:
    """The fields of an export row the outcome comparison reads."""
    value = row.get(f"outcome_{outcome}")
    saved, credit = row.get("outcome_saved"), row.get("outcome_credit_amount")
    return ComparisonRow(
        flags={f: row.get(f"flag_{f}") for f in flag_names},
        outcome=None if value is None else float(value),
        weight=(row.get("weight") or 0.0) if weighted else 1.0,
        save_script=row.get("save_script"),
        agent_tenure_days=row.get("agent_tenure_days"),
        channel=row.get("channel"),
        interaction_type=row.get("interaction_type"),
        team=row.get("team"),
        queue=row.get("queue"),
        saved=None if saved is None else float(saved),
        credit=None if credit is None else float(credit),
        stratum=(row.get("design_stratum") or "") if weighted else "",
    )
