"""Database rows for the coach's exports: calls with final scores, flags, weights and outcomes.

Calls come from one streamed query in partitions of 2,000, joined to their stored final scores
(qa_app.store.final_scores); each partition's stored values and outcomes are read beside it,
and rows are handed on one by one, so an export of a year of calls never holds a whole table
in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import case, func
from sqlmodel import Session, select

from qa_app.domain.flags.comparison_groups import ComparisonRow
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.kept import Kept
from qa_app.models import (
    Call,
    FinalScore,
    FinalValue,
    Outcome,
    Review,
    ReviewStatus,
    RubricVersion,
    SurveyResponse,
)
from qa_app.store.final_scores import FLAG, SCORE, stored_values
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
    """Calls with final scores under this rubric version (a submitted review or a consensus):
    those with a stored row (qa_app.store.final_scores)."""
    return select(FinalScore.call_pk).where(FinalScore.rubric_pk == rubric_pk)


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
    """Every outcome name imported so far, with its kind, in name order.

    Kept by the outcomes table's version: finding the distinct names reads every outcome
    (52 ms of a 67 ms coach page at 200,000 outcomes), and they seldom change."""
    from qa_app.store.fingerprints import table_versions

    key = table_versions(db, ("outcomes",))
    kinds = _OUTCOME_KINDS.get(key)
    if kinds is None:
        query = select(Outcome.name, Outcome.kind).distinct().order_by(Outcome.name)
        kinds = [tuple(r) for r in db.exec(query)]
        _OUTCOME_KINDS.put(key, kinds)
    return list(kinds)


# Outcome names and kinds by database and outcomes version (outcome_kinds).
_OUTCOME_KINDS = Kept(8)


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
    db: Session,
    filters: CallFilters,
    plan: ExportPlan,
    batch_size: int = BATCH_SIZE,
    outcomes: bool = True,
) -> Iterator[dict]:
    """One dict per reviewed call: call fields, final scores, flags, source, weight, and the
    outcomes unless ``outcomes`` is False (an analysis that reads only flags and scores).

    The final scores and flags are the stored ones (qa_app.store.final_scores), turned into
    one column each by the database (a pivot of the version's values) and joined to the
    calls in the same query, not recomputed from every answer."""
    rubric, rubric_pk = plan.rubric, plan.rubric_row.id
    dimensions = [d.id for d in rubric.dimensions]
    flag_names = [f.name for f in rubric.flags]
    values = values_pivot(rubric_pk, dimensions, flag_names)
    # Plain columns rather than ORM objects: an export reads every reviewed call. One query,
    # streamed in partitions (a server-side cursor on PostgreSQL).
    columns = [Call.id, *(getattr(Call, name) for name in CALL_FIELDS),
               FinalScore.source, FinalScore.review_count,
               *(values.c[f"score_{d}"] for d in dimensions),
               *(values.c[f"flag_{f}"] for f in flag_names)]  # fmt: skip
    query = filters.apply(
        select(*columns)
        .join(FinalScore, (FinalScore.call_pk == Call.id) & (FinalScore.rubric_pk == rubric_pk))
        .join(values, values.c.call_pk == Call.id)
    )
    result = db.connection().execute(
        query.order_by(Call.id).execution_options(yield_per=batch_size, stream_results=True)
    )
    width = len(CALL_FIELDS)
    for calls in result.partitions(batch_size):
        pks = [c[0] for c in calls]
        outcome_values = _outcomes_by_call(db, pks) if outcomes else {}
        surveyed = _survey_by_call(db, pks) if plan.survey_items else {}
        for call in calls:
            call_pk = call[0]
            row = dict(zip(CALL_FIELDS, call[1 : width + 1], strict=True))
            row["score_source"], row["review_count"] = call[width + 1], call[width + 2]
            stored = call[width + 3 :]
            for name, value in zip(dimensions, stored, strict=False):
                row[f"score_{name}"] = stored_values(value, SCORE)
            for name, value in zip(flag_names, stored[len(dimensions) :], strict=True):
                row[f"flag_{name}"] = stored_values(value, FLAG)
            row["weight"], row["design_stratum"] = plan.weighting.weight_and_stratum(
                call_pk, row["interaction_type"], row["started_at"]
            )
            row.update({f"outcome_{n}": v for n, v in outcome_values.get(call_pk, {}).items()})
            row.update(surveyed.get(call_pk, {}))
            yield row


def values_pivot(rubric_pk: int, dimensions: list[str], flags: list[str]):
    """The version's stored values, one row per call and one column per score and flag."""

    def column(kind: str, name: str, label: str):
        chosen = (FinalValue.kind == kind) & (FinalValue.name == name)
        return func.max(case((chosen, FinalValue.value))).label(label)

    return (
        select(
            FinalValue.call_pk,
            *(column(SCORE, d, f"score_{d}") for d in dimensions),
            *(column(FLAG, f, f"flag_{f}") for f in flags),
        )
        .where(FinalValue.rubric_pk == rubric_pk)
        .group_by(FinalValue.call_pk)
        .subquery("final")
    )


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
