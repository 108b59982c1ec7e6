"""Validating calibration ratings collected on paper or in another tool.

Columns: ``call_id``, ``rater`` (a reviewer's email for QA, a name or alias for a
panelist), ``role`` (``qa`` or ``panel``), ``dimension``, ``score`` (blank or N/A for not
applicable), optional ``comment``. A rater with no row for a dimension skipped that item
(paper forms have blanks nobody filled in): the rating is missing, not refused, and the
agreement engine handles missing ratings. Integral scores written ``4.0`` (as spreadsheets
export them) read as ``4``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table, as_text, rejected_for_missing_columns
from qa_app.domain.rubrics.definitions import Rubric
from qa_app.domain.rubrics.scoring import DimensionAnswer, ScoringError, parse_answer

REQUIRED_COLUMNS = ("call_id", "rater", "role", "dimension", "score")
ROLES = ("qa", "panel")
INTEGRAL = re.compile(r"(-?[0-9]+)\.0*")


def integral_text(text: str) -> str:
    """``4.0`` as ``4``: spreadsheets export whole numbers with a decimal point, and a
    score (or a 1/0 outcome) written that way means the whole number. Other text is kept."""
    match = INTEGRAL.fullmatch(text)
    return match.group(1) if match else text


@dataclass
class RatingRecord:
    call_id: str
    rater: str
    role: str
    answers: dict[str, DimensionAnswer] = field(default_factory=dict)
    comment: str = ""
    rows: list[int] = field(default_factory=list)
    # Names of the rubric's items this rater left without a row for this call.
    skipped: list[str] = field(default_factory=list)


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
                    rubric,
                    dimension,
                    {"score": integral_text(as_text(raw.get("score"))) or "na"},
                    0,
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
        if key in broken:
            for row in record.rows:
                report.reject(
                    row, raw_by_row[row], "another row of the same rater and call is invalid", unit
                )
            continue
        record.skipped = [d.name for d in rubric.dimensions if d.id not in record.answers]
        report.records.append(record)
    report.errors.sort(key=lambda e: e.row)
    return report


def skipped_summary(records: Sequence[RatingRecord]) -> str:
    """``2 items skipped (no row): Panel 8 2 (Acknowledgment, Next steps on C-1).``, or ''.

    The import summary says it, so a lead knows which ratings are missing and from whom.
    """
    by_rater: dict[str, list[str]] = {}
    for record in records:
        if record.skipped:
            by_rater.setdefault(record.rater, []).append(
                f"{', '.join(record.skipped)} on {record.call_id}"
            )
    if not by_rater:
        return ""
    total = sum(len(r.skipped) for r in records)
    people = "; ".join(
        f"{rater} {sum(len(r.skipped) for r in records if r.rater == rater)} ({'; '.join(where)})"
        for rater, where in sorted(by_rater.items())
    )
    return f"{total} item{'s' if total != 1 else ''} skipped (no row, left missing): {people}."
