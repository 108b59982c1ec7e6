"""The shared error report of an import: rejected rows, their reasons and the rejects file.

:class:`RowError` (why one row was rejected) and :class:`ImportReport` (valid records and
rejected rows) are filled by every importer; :func:`write_rejects` writes the rejected rows
back out as CSV; :func:`one_line` keeps a message quoting a cell on one line. Reading the
files is in qa_app.domain.files.tables.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa_app.domain.files.spreadsheet_safety import protect_formula

# What str.splitlines() breaks on, and the other control characters: shown as escapes.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and control characters from a file shown as escapes.

    Messages quote cells, and a cell may hold a line break; a message must stay one line
    in a terminal and in a log.
    """
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True)
class RowError:
    """Why one row was rejected. ``row`` is the number a person sees in the file."""

    row: int
    message: str
    unit: str = "row"

    def __str__(self) -> str:
        return one_line(f"{self.unit} {self.row}: {self.message}")


@dataclass
class ImportReport:
    """Valid records and rejected rows; the writer adds its own counts."""

    records: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def reject(self, row: int, raw: dict[str, Any], message: str, unit: str = "row") -> None:
        self.errors.append(RowError(row, message, unit))
        self.rejected_rows[row] = raw


def write_rejects(path: Path, columns: list[str], report: ImportReport) -> None:
    """Write the rejected rows, each with its row number and reason, as UTF-8 CSV."""
    reasons: dict[int, list[str]] = {}
    for error in report.errors:
        reasons.setdefault(error.row, []).append(error.message)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "reason", *columns])
        for row, raw in sorted(report.rejected_rows.items()):
            cells = [_rejects_cell(raw.get(c, "")) for c in columns]
            writer.writerow([row, "; ".join(reasons.get(row, [])), *cells])


def _rejects_cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    # The rejects file is opened in spreadsheets: never let a cell run as a formula.
    return protect_formula(text)
