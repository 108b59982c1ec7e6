"""Validating historical reviews from another QA tool: one row per call, reviewer and dimension.

Columns: ``call_id``, ``reviewer`` (email), ``dimension``, ``score`` (blank or N/A for
not applicable), optional ``submitted_at`` (ISO 8601) and ``rubric`` (``id@version``,
default the current one). The rows of one call, reviewer and rubric form one submitted
review, which must answer every dimension of its rubric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table, as_text, parse_timestamp, rejected_for_missing_columns
from qa_app.domain.imports.ratings import integral_text
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import (
    DimensionAnswer,
    ScoringError,
    missing_dimensions,
    parse_answer,
)

REQUIRED_COLUMNS = ("call_id", "reviewer", "dimension", "score")


@dataclass
class ReviewRecord:
    call_id: str
    reviewer: str
    rubric_key: str
    submitted_at: datetime | None = None
    answers: dict[str, DimensionAnswer] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)


def validate_reviews(table: Table, rubrics: Mapping[str, Rubric], default_key: str) -> ImportReport:
    """Group valid rows into ReviewRecords; every bad row or incomplete review is an error."""
    report = ImportReport()
    unit = table.row_unit
    if rejected_for_missing_columns(table, REQUIRED_COLUMNS, report):
        return report
    raw_by_row = dict(table.rows)
    groups: dict[tuple[str, str, str], ReviewRecord] = {}
    broken: set[tuple[str, str, str]] = set()
    seen: dict[tuple[str, str, str, str], int] = {}
    # A rubric, dimension and score always give the same answer (or the same error): a file
    # of history holds a few distinct ones, each parsed once.
    answers: dict[tuple[str, str, str], DimensionAnswer | str] = {}
    for row, raw in table.rows:
        get = raw.get
        cells = []
        for column in ("call_id", "reviewer", "dimension", "rubric", "score"):
            value = get(column)
            # Cells of CSV files are str: as_text's answer without its checks.
            cells.append(value.strip() if type(value) is str else as_text(value))
        call_id, reviewer, dimension, rubric_key, score_text = cells
        reviewer = reviewer.lower()
        rubric_key = rubric_key or default_key
        problems = [
            f"{c} is empty"
            for c, v in (("call_id", call_id), ("reviewer", reviewer), ("dimension", dimension))
            if not v
        ]
        rubric = rubrics.get(rubric_key)
        if rubric is None:
            problems.append(f"unknown rubric '{rubric_key}' (load it with `qa-app rubric load`)")
        key = (call_id, reviewer, rubric_key, dimension)
        if key in seen:
            problems.append(
                f"{dimension} of {call_id} by {reviewer} is already in {unit} {seen[key]}"
            )
        else:
            seen[key] = row
        answer = submitted_at = None
        if rubric is not None and dimension:
            answer_key = (rubric_key, dimension, score_text)
            answer = answers.get(answer_key)
            if answer is None:
                answer = answers[answer_key] = _answer(rubric, dimension, score_text)
            if isinstance(answer, str):
                problems.append(answer)
                answer = None
        try:
            submitted_at = parse_timestamp(get("submitted_at"))
        except ValueError as exc:
            problems.append(f"submitted_at: {exc}")
        if problems:
            report.reject(row, raw, "; ".join(problems), unit)
            broken.add((call_id, reviewer, rubric_key))
            continue
        record = groups.get((call_id, reviewer, rubric_key))
        if record is None:
            record = groups[(call_id, reviewer, rubric_key)] = ReviewRecord(
                call_id, reviewer, rubric_key
            )
        record.answers[dimension] = answer
        record.rows.append(row)
        if submitted_at and (record.submitted_at is None or submitted_at > record.submitted_at):
            record.submitted_at = submitted_at
    for key, record in groups.items():
        missing_dims = missing_dimensions(rubrics[record.rubric_key], record.answers)
        message = None
        if key in broken:
            message = "another row of the same review is invalid, so the review is not complete"
        elif missing_dims:
            message = (
                f"review of {record.call_id} by {record.reviewer} has no row for "
                f"{', '.join(missing_dims)}"
            )
        if message is None:
            report.records.append(record)
            continue
        for row in record.rows:
            report.reject(row, raw_by_row[row], message, unit)
    report.errors.sort(key=lambda e: e.row)
    return report


def _answer(rubric: Rubric, dimension: str, score_text: str) -> DimensionAnswer | str:
    """The answer a row's score cell gives, or why it gives none."""
    try:
        return parse_answer(rubric, dimension, {"score": integral_text(score_text) or "na"}, 0)
    except ScoringError as exc:
        return str(exc)
