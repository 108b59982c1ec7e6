"""Validating exposure logs: which agent received which intervention (training, script,
playbook), and when. One row per exposure: ``agent``, ``intervention``, ``at`` (ISO 8601; a
time without an offset is UTC). The experiments' contamination check reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table, as_text, parse_timestamp, rejected_for_missing_columns

COLUMNS = ("agent", "intervention", "at")
MAX_AGENT = 200
MAX_INTERVENTION = 200


@dataclass(frozen=True)
class ExposureRecord:
    row: int
    agent: str
    intervention: str
    at: datetime


def validate_exposures(table: Table) -> ImportReport:
    """Check every row; valid rows become ExposureRecords, invalid ones row errors naming
    the column. A row repeated in the file is an error (the second one is named)."""
    report = ImportReport()
    if rejected_for_missing_columns(table, COLUMNS, report):
        return report
    unknown = [c for c in table.columns if c not in COLUMNS]
    if unknown:
        report.warnings.append(f"ignored column(s) not used by exposures: {', '.join(unknown)}")
    seen: dict[tuple, int] = {}
    for row, raw in table.rows:
        problems = []
        agent, intervention = as_text(raw.get("agent")), as_text(raw.get("intervention"))
        if not agent:
            problems.append("agent is blank")
        elif len(agent) > MAX_AGENT:
            problems.append(f"agent is longer than {MAX_AGENT} characters")
        if not intervention:
            problems.append("intervention is blank (the intervention's name in the plan)")
        elif len(intervention) > MAX_INTERVENTION:
            problems.append(f"intervention is longer than {MAX_INTERVENTION} characters")
        at = None
        try:
            at = parse_timestamp(raw.get("at"))
            if at is None:
                problems.append("at is blank (when the agent received the intervention)")
        except ValueError as exc:
            problems.append(f"at: {exc}")
        if not problems:
            key = (agent, intervention, at)
            if key in seen:
                problems.append(f"the same exposure is on row {seen[key]} already")
            else:
                seen[key] = row
        if problems:
            report.reject(row, raw, "; ".join(problems), table.row_unit)
            continue
        report.records.append(ExposureRecord(row, agent, intervention, at))
    return report
