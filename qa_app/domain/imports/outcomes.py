"""Validating outcome files: ``call_id`` plus one column per named outcome.

A column is boolean when every value in it is one of true/false/yes/no/1/0
(any case), numeric otherwise; once an outcome is stored its kind is fixed, so a
later file cannot quietly turn ``saved`` into a number. Blank cells record nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table, as_text
from qa_app.domain.imports.ratings import integral_text


def _text(raw, name: str) -> str:
    """A cell as text, ``1.0`` as ``1``: a spreadsheet's 1.0/0.0 column is still boolean."""
    return integral_text(as_text(raw.get(name)))


OUTCOME_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
TRUE_WORDS = {"true", "yes", "1", "y", "t"}
FALSE_WORDS = {"false", "no", "0", "n", "f"}
BOOLEAN = "boolean"
NUMBER = "number"


@dataclass(frozen=True)
class OutcomeRecord:
    row: int
    call_id: str
    name: str
    kind: str
    value: float


MAX_OUTCOME = 1e12


def infer_kind(values: list[str]) -> str:
    """``boolean`` when every non-blank value reads as a boolean, else ``number``."""
    words = TRUE_WORDS | FALSE_WORDS
    present = [v.lower() for v in values if v]
    if present and all(v in words for v in present):
        return BOOLEAN
    return NUMBER


def _value(text: str, kind: str, name: str) -> float:
    lowered = text.lower()
    if kind == BOOLEAN:
        if lowered in TRUE_WORDS:
            return 1.0
        if lowered in FALSE_WORDS:
            return 0.0
        raise ValueError(f"{name}: '{text}' is not true/false/yes/no/1/0 ({name} is boolean)")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{name}: '{text}' is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: '{text}' is not a finite number")
    if abs(number) > MAX_OUTCOME:  # squares and sums of these must stay finite
        raise ValueError(f"{name}: {text} is beyond ±{MAX_OUTCOME:.0e}")
    return number


def validate_outcomes(table: Table, stored_kinds: Mapping[str, str]) -> ImportReport:
    """Check every row; valid cells become OutcomeRecords, invalid rows RowErrors."""
    report = ImportReport()
    unit = table.row_unit
    names = [c for c in table.columns if c != "call_id"]
    file_problems = []
    if "call_id" not in table.columns:
        file_problems.append("missing required column: call_id")
    if not names:
        file_problems.append("no outcome columns next to call_id")
    bad = [n for n in names if not OUTCOME_NAME.fullmatch(n)]
    if bad:
        file_problems.append(
            f"outcome column name(s) {', '.join(repr(n) for n in bad)} must be lower-case "
            "letters, digits and '_', starting with a letter"
        )
    if file_problems:
        for row, raw in table.rows or [(1, {})]:
            report.reject(row, raw, "; ".join(file_problems), unit)
        return report

    kinds = {}
    for name in names:
        kinds[name] = stored_kinds.get(name) or infer_kind(
            [_text(raw, name) for _row, raw in table.rows]
        )
    first_seen: dict[str, int] = {}
    for row, raw in table.rows:
        if "__error__" in raw:
            report.reject(row, raw, raw["__error__"], unit)
            continue
        problems, cells = [], []
        call_id = as_text(raw.get("call_id"))
        if not call_id:
            problems.append("call_id is empty")
        elif call_id in first_seen:
            problems.append(
                f"duplicate call_id '{call_id}' (first in {unit} {first_seen[call_id]})"
            )
        else:
            first_seen[call_id] = row
        for name in names:
            text = _text(raw, name)
            if not text:
                continue
            try:
                cells.append(
                    OutcomeRecord(row, call_id, name, kinds[name], _value(text, kinds[name], name))
                )
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            report.reject(row, raw, "; ".join(problems), unit)
        else:
            report.records.extend(cells)
    return report


def reject_unknown_calls(report: ImportReport, table: Table, known_call_ids: set[str]) -> None:
    """Move records whose call_id is not in the database into the report's errors."""
    raw_by_row = dict(table.rows)
    kept = []
    rejected_rows = set()
    for record in report.records:
        if record.call_id in known_call_ids:
            kept.append(record)
        elif record.row not in rejected_rows:
            rejected_rows.add(record.row)
            report.reject(
                record.row,
                raw_by_row.get(record.row, {}),
                f"unknown call_id '{record.call_id}' (import the call first)",
                table.row_unit,
            )
    report.records = [r for r in kept if r.row not in rejected_rows]
    report.errors.sort(key=lambda e: e.row)
