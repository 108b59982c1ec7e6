"""Validating calibration ratings collected on paper or in another tool.

Columns: ``call_id``, ``rater`` (a reviewer's email for QA, a name or alias for a
panelist), ``role`` (``qa`` or ``panel``), ``dimension``, ``score`` (blank or N/A for not
applicable), optional ``comment``. Each rater's rows for a call must answer every
dimension of the session's rubric.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa_app.domain.rubrics import Rubric
from qa_app.domain.scoring import DimensionAnswer, ScoringError, missing_dimensions, parse_answer
from qa_app.domain.tabular import (
    ImportReport,
    Table,
    as_text,
    rejected_for_missing_columns,
)

REQUIRED_COLUMNS = ("call_id", "rater", "role", "dimension", "score")
ROLES = ("qa", "panel")


@dataclass
class RatingRecord:
    call_id: str
    rater: str
    role: str
    answers: dict[str, DimensionAnswer] = field(default_factory=dict)
    comment: str = ""
    rows: list[int] = field(default_factory=list)


def validate_ratings(table: Table, rubric: Rubric) -> ImportReport:
    """Group valid rows per rater and call; report every bad row or incomplete set."""
    report = ImportReport()
    unit = table.row_unit
    if rejected_for_missing_columns(table, REQUIRED_COLUMNS, report):
        return report
    groups: dict[tuple[str, str], RatingRecord] = {}
    broken: set[tuple[str, str]] = set()
    seen: dict[tuple[str, str, str], int] = {}
    raw_by_row = dict(table.rows)
    for row, raw in table.rows:
        call_id, rater = as_text(raw.get("call_id")), as_text(raw.get("rater"))
        role, dimension = as_text(raw.get("role")).lower(), as_text(raw.get("dimension"))
        problems = [
            f"{c} is empty"
            for c, v in (("call_id", call_id), ("rater", rater), ("dimension", dimension))
            if not v
        ]
        if role not in ROLES:
            problems.append(f"role '{role}' must be qa or panel")
        if role == "qa":
            rater = rater.lower()
        key = (call_id, rater, dimension)
        if key in seen:
            problems.append(f"{rater} already rated {dimension} of {call_id} in {unit} {seen[key]}")
        else:
            seen[key] = row
        answer = None
        if dimension:
            try:
                answer = parse_answer(
                    rubric, dimension, {"score": as_text(raw.get("score")) or "na"}, 0
                )
            except ScoringError as exc:
                problems.append(str(exc))
        if problems:
            report.reject(row, raw, "; ".join(problems), unit)
            broken.add((call_id, rater))
            continue
        record = groups.setdefault((call_id, rater), RatingRecord(call_id, rater, role))
        if record.role != role:
            report.reject(row, raw, f"{rater} is '{record.role}' in another row", unit)
            broken.add((call_id, rater))
            continue
        record.answers[dimension] = answer
        record.rows.append(row)
        record.comment = record.comment or as_text(raw.get("comment"))
    for key, record in groups.items():
        gaps = missing_dimensions(rubric, record.answers)
        message = (
            "another row of the same rater and call is invalid"
            if key in broken
            else f"{record.rater} has no row for {', '.join(gaps)} of {record.call_id}"
            if gaps
            else None
        )
        if message is None:
            report.records.append(record)
            continue
        for row in record.rows:
            report.reject(row, raw_by_row[row], message, unit)
    report.errors.sort(key=lambda e: e.row)
    return report
