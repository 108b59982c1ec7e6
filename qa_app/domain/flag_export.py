"""The coach's flag spreadsheet: columns, the XLSX workbook (streamed) and the CSV.

Rows arrive as an iterator of dicts and go straight into openpyxl's write-only
workbook, so memory does not grow with the number of calls. Past Excel's
1,048,575 data rows a sheet is full, and rows continue on "Flags 2", "Flags 3", ...
each with the same header (documented in the README and on the About sheet).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qa_app.domain.rubrics import Rubric
from qa_app.domain.spreadsheet_safety import protect_formula

EXCEL_MAX_DATA_ROWS = 1_048_575
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1C3F8A")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, datetime, int, float, bool
    description: str
    width: int = 14


CALL_COLUMNS = (
    Column("call_id", "text", "The call's ID in the source system.", 14),
    Column("started_at", "datetime", "When the call started (UTC).", 17),
    Column("agent", "text", "Agent who handled the call.", 18),
    Column("team", "text", "Agent's team.", 12),
    Column("queue", "text", "Queue the call came through.", 12),
    Column("channel", "text", "voice, chat, email, ...", 10),
    Column("interaction_type", "text", "escalation, delayed_shipment, billing_correction, ...", 18),
    Column("save_script", "text", "Retention save script used, blank when none.", 15),
    Column("agent_tenure_days", "int", "Agent's tenure in days at the time of the call.", 10),
)


def flag_columns(rubric: Rubric, outcomes: Sequence[tuple[str, str]]) -> list[Column]:
    """Every column of the Flags sheet, in order; ``outcomes`` is (name, kind) pairs."""
    columns = list(CALL_COLUMNS)
    columns += [
        Column(
            f"score_{d.id}",
            "float",
            f"Final {d.name} score ({rubric.scale_min}–{rubric.scale_max}); blank is "
            f"N/A. {d.question}",
            10,
        )
        for d in rubric.dimensions
    ]
    columns += [
        Column(
            f"flag_{f.name}",
            "bool",
            f"{f.description} TRUE when {f.rule}; blank when a dimension it reads is N/A.",
            12,
        )
        for f in rubric.flags
    ]
    columns += [
        Column(
            "score_source",
            "text",
            "Where the final scores come from: consensus (calibration),"
            " review (one submitted review) or median of reviews (several).",
            16,
        ),
        Column(
            "review_count", "int", "Submitted reviews of the call under this rubric version.", 9
        ),
        Column(
            "weight",
            "float",
            "Weight that takes reviewed calls back to the interaction mix "
            "(share of the type among all calls / share among reviewed calls).",
            9,
        ),
    ]
    columns += [
        Column(
            f"outcome_{name}",
            "bool" if kind == "boolean" else "float",
            f"Outcome '{name}' from the CRM import ({kind}).",
            12,
        )
        for name, kind in outcomes
    ]
    return columns


def _naive(value):
    # Excel has no time zones; the data dictionary says the times are UTC.
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


CONVERTED = {"text": lambda v: protect_formula(str(v)), "datetime": _naive, "bool": bool}


def _csv_value(column: Column, value) -> str:
    if value is None:
        return ""
    if column.kind == "text":
        return protect_formula(str(value))
    if column.kind == "datetime" and isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if column.kind == "bool":
        return "TRUE" if value else "FALSE"
    return str(value)


def write_csv(
    handle: IO[str],
    columns: Sequence[Column],
    rows: Iterable[Mapping],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the Flags columns as UTF-8 CSV with a header row; return the number of rows."""
    writer = csv.writer(handle)
    writer.writerow([c.name for c in columns])
    count = 0
    for row in rows:
        writer.writerow([_csv_value(c, row.get(c.name)) for c in columns])
        count += 1
        if progress:
            progress(1)
    return count


def header_cells(sheet, names: Iterable[str]) -> list[WriteOnlyCell]:
    """Bold white-on-blue header cells for a write-only sheet."""
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        cells.append(cell)
    return cells


def _header(sheet, columns: Sequence[Column]) -> None:
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            column.width, len(column.name) + 2
        )
    sheet.freeze_panes = "A2"
    sheet.append(header_cells(sheet, (c.name for c in columns)))


def _finish(sheet, columns: Sequence[Column], rows: int) -> None:
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"


def _text_sheet(
    workbook, title: str, header: Sequence[str], lines: Iterable[Sequence], widths: Sequence[int]
) -> None:
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(header_cells(sheet, header))
    for line in lines:
        sheet.append([protect_formula(v) if isinstance(v, str) else v for v in line])


def write_xlsx(
    target,
    columns: Sequence[Column],
    rows: Iterable[Mapping],
    about: Sequence[tuple[str, object]],
    rubric: Rubric,
    comparison: Callable | None = None,
    progress: Callable[[int], None] | None = None,
    max_rows_per_sheet: int = EXCEL_MAX_DATA_ROWS,
) -> int:
    """Stream the Flags sheet(s), then Data dictionary, About and (optionally) Comparison.

    ``comparison`` is called with the workbook to add its own sheet. Returns the row count.
    """
    workbook = Workbook(write_only=True)
    sheet_number, in_sheet, total = 1, 0, 0
    sheet = workbook.create_sheet("Flags")
    _header(sheet, columns)
    # Plain values, not cell objects: openpyxl gives datetimes a date format by itself. The
    # per-cell work below is kept to a type check, since it runs 23 times a row.
    spec = [(c.name, c.kind) for c in columns]
    for row in rows:
        if in_sheet == max_rows_per_sheet:
            _finish(sheet, columns, in_sheet)
            sheet_number += 1
            sheet = workbook.create_sheet(f"Flags {sheet_number}")
            _header(sheet, columns)
            in_sheet = 0
        values = []
        for name, kind in spec:
            value = row.get(name)
            if value is not None and kind in CONVERTED:
                value = CONVERTED[kind](value)
            values.append(value)
        sheet.append(values)
        in_sheet += 1
        total += 1
        if progress:
            progress(1)
    _finish(sheet, columns, in_sheet)
    dictionary = [(c.name, c.kind, c.description) for c in columns]
    dictionary += [("", "", "")] + [
        (f"flag_{f.name}", "rule", f"{f.rule} — {f.description}") for f in rubric.flags
    ]
    _text_sheet(
        workbook, "Data dictionary", ("column", "type", "meaning"), dictionary, (26, 10, 100)
    )
    about_lines = [(key, value) for key, value in about]
    about_lines += [("rows", total), ("sheets with rows", sheet_number)]
    if sheet_number > 1:
        about_lines.append(
            (
                "note",
                f"More than {max_rows_per_sheet:,} rows: the rows continue "
                "on sheets Flags 2, Flags 3, ... with the same columns.",
            )
        )
    _text_sheet(workbook, "About", ("", ""), about_lines, (28, 80))
    if comparison is not None:
        comparison(workbook)
    workbook.save(target)
    return total
