"""Validating customer survey responses collected elsewhere, one row per call and item.

Columns: ``call_id``, ``item`` (an item id of the survey), ``score`` (a point of the survey's
scale), optional ``position`` (1-based place the item was shown in), ``comment``,
``responded_at`` (ISO 8601; blank: when imported) and ``survey`` (``id`` or ``id@version``;
blank: the default survey). Plain Python; the store checks calls exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table, as_text, parse_timestamp, rejected_for_missing_columns
from qa_app.domain.surveys.definition import Survey

SURVEY_COLUMNS = ("call_id", "item", "score", "position", "comment", "responded_at", "survey")
MAX_COMMENT = 4000


@dataclass(frozen=True)
class SurveyAnswerRecord:
    row: int
    call_id: str
    survey_key: str
    item: str
    score: int
    position: int | None
    comment: str
    responded_at: datetime | None


def _whole(text: str, name: str, problems: list[str]) -> int | None:
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        problems.append(f"{name} '{text}' is not a whole number")
        return None
    if not number.is_integer():
        problems.append(f"{name} {text} is not a whole number")
        return None
    return int(number)


def _survey(name: str, surveys: Mapping[str, Survey], default: Survey) -> Survey | None:
    if not name:
        return default
    if name in surveys:
        return surveys[name]
    versions = [s for s in surveys.values() if s.id == name]
    return max(versions, key=lambda s: s.version) if versions else None


def validate_survey_answers(
    table: Table, surveys: Mapping[str, Survey], default: Survey
) -> ImportReport:
    """Check every row; valid rows become SurveyAnswerRecords, invalid ones row errors."""
    report = ImportReport()
    unit = table.row_unit
    if rejected_for_missing_columns(table, ("call_id", "item", "score"), report):
        return report
    unknown = [c for c in table.columns if c not in SURVEY_COLUMNS]
    if unknown:
        report.warnings.append(f"ignored column(s) not used by survey: {', '.join(unknown)}")
    first_seen: dict[tuple[str, str], int] = {}
    for row, raw in table.rows:
        if "__error__" in raw:
            report.reject(row, raw, raw["__error__"], unit)
            continue
        problems: list[str] = []
        call_id = as_text(raw.get("call_id"))
        if not call_id:
            problems.append("call_id is empty")
        elif len(call_id) > 100:
            problems.append("call_id is longer than 100 characters")
        survey_name = as_text(raw.get("survey"))
        survey = _survey(survey_name, surveys, default)
        if survey is None:
            problems.append(f"survey '{survey_name}' is not one of {', '.join(sorted(surveys))}")
        item = as_text(raw.get("item"))
        items = [i.id for i in survey.items] if survey else []
        if not item:
            problems.append("item is empty")
        elif survey and item not in items:
            problems.append(f"item '{item}' is not in survey {survey.key} ({', '.join(items)})")
        score = _whole(as_text(raw.get("score")), "score", problems)
        if score is None and not any(p.startswith("score") for p in problems):
            problems.append("score is empty")
        elif score is not None and survey and score not in survey.scale:
            problems.append(
                f"score {score} is outside the scale {survey.scale_min}–{survey.scale_max} "
                f"of {survey.key}"
            )
        position = _whole(as_text(raw.get("position")), "position", problems)
        if position is not None and survey and not 1 <= position <= len(items):
            problems.append(f"position {position} is outside 1–{len(items)}")
        comment = as_text(raw.get("comment"))
        if len(comment) > MAX_COMMENT:
            problems.append(f"comment is longer than {MAX_COMMENT} characters")
        try:
            responded_at = parse_timestamp(raw.get("responded_at"))
        except ValueError as exc:
            problems.append(f"responded_at: {exc}")
            responded_at = None
        key = (call_id, item)
        if call_id and item and key in first_seen:
            problems.append(
                f"a second answer to '{item}' for call '{call_id}' "
                f"(first in {unit} {first_seen[key]})"
            )
        elif call_id and item:
            first_seen[key] = row
        if problems:
            report.reject(row, raw, "; ".join(problems), unit)
            continue
        report.records.append(
            SurveyAnswerRecord(
                row, call_id, survey.key, item, score, position, comment, responded_at
            )
        )
    return report
