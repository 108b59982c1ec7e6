"""The coach's flag spreadsheet: columns, the XLSX workbook (streamed) and the CSV.

Rows arrive as an iterator of dicts and stream into an openpyxl write-only workbook,
so memory does not grow with the number of calls: openpyxl writes the header, styles
and every other sheet, and the data rows are serialised by ``xlsx_row_stream`` to a
temporary file and spliced in when the workbook is saved (about ten times faster than
openpyxl's per-cell writer; see that module). Past Excel's
1,048,575 data rows a sheet is full, and rows continue on "Flags 2", "Flags 3", ...
each with the same header (documented in docs/coaches.md and on the About sheet).

Coaches print the sheets: each prints landscape, one page wide, with its header row on
every page (``sheet_layout.print_setup``), so a call is one line of one page.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING

from qa_app.domain.files.sheet_layout import COEFFICIENT, print_setup
from qa_app.domain.files.spreadsheet_safety import protect_formula
from qa_app.domain.rubrics.definitions import Rubric

if TYPE_CHECKING:  # openpyxl loads in the functions that write workbooks
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

EXCEL_MAX_DATA_ROWS = 1_048_575
# The header's white bold text on dark blue (openpyxl's Font and PatternFill, made on first use).
HEADER_COLOURS = {"font": "FFFFFF", "fill": "1C3F8A"}
# Height of one character of the bold 11 pt header written upright (Calibri, DejaVu Sans).
UPRIGHT_POINTS_PER_CHARACTER = 6.5


@cache
def _header_style():
    """The header cells' font and fill: one pair of style objects shared by every sheet."""
    from openpyxl.styles import Font, PatternFill

    return Font(bold=True, color=HEADER_COLOURS["font"]), PatternFill(
        "solid", fgColor=HEADER_COLOURS["fill"]
    )


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, datetime, int, float, bool
    description: str
    width: int = 14  # wide enough for the values; a longer name is written upright
    number_format: str | None = None  # None: General, so 4 and 3.5 show as written


CALL_COLUMNS = (
    Column("call_id", "text", "The call's ID in the source system.", 14),
    Column("started_at", "datetime", "When the call started (UTC).", 17),
    Column("agent", "text", "Agent who handled the call.", 18),
    Column("team", "text", "Agent's team.", 12),
    Column("queue", "text", "Queue the call came through.", 12),
    Column("channel", "text", "voice, chat, email, ...", 10),
    Column("interaction_type", "text", "escalation, delayed_shipment, billing_correction, ...", 18),
    Column("save_script", "text", "Retention save script used, blank when none.", 15),
    Column("agent_tenure_days", "int", "Agent's tenure in days at the time of the call.", 7),
)


def flag_columns(
    rubric: Rubric, outcomes: Sequence[tuple[str, str]], survey_items: Sequence[str] = ()
) -> list[Column]:
    """Every column of the Flags sheet, in order; ``outcomes`` is (name, kind) pairs and
    ``survey_items`` the customer survey items answered so far (a survey_<item> column each)."""
    columns = list(CALL_COLUMNS)
    columns += [
        Column(
            f"score_{d.id}",
            "float",
            f"Final {d.name} score ({rubric.scale_min}–{rubric.scale_max}); blank is "
            f"N/A. {d.question}",
            6,
        )
        for d in rubric.dimensions
    ]
    columns += [
        Column(
            f"flag_{f.name}",
            "bool",
            f"{f.description} TRUE when {f.rule}; blank when a dimension it reads is N/A.",
            7,
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
            "review_count", "int", "Submitted reviews of the call under this rubric version.", 6
        ),
        Column(
            "weight",
            "float",
            "Weight that takes reviewed calls back to the interaction mix "
            "(share of the type among all calls / share among reviewed calls).",
            7,
            COEFFICIENT,
        ),
    ]
    columns += [
        Column(
            f"outcome_{name}",
            "bool" if kind == "boolean" else "float",
            f"Outcome '{name}' from the CRM import ({kind}).",
            9,
        )
        for name, kind in outcomes
    ]
    columns += [
        Column(
            f"survey_{item}",
            "int",
            f"The customer's own answer to survey item '{item}' after this call (blank: "
            "no answer). Read it beside the QA score of the dimension it is mapped to.",
            8,
        )
        for item in survey_items
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


def header_cells(sheet, names: Iterable[str], upright: Sequence[bool] = ()) -> list[WriteOnlyCell]:
    """Bold white-on-blue header cells for a write-only sheet.

    A name whose ``upright`` entry is true is turned to read bottom to top, so its column
    can be as narrow as its values.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment

    cells = []
    for index, name in enumerate(names):
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill = _header_style()
        if index < len(upright) and upright[index]:
            # Left, so the name clears the autofilter button in the bottom right corner.
            cell.alignment = Alignment(horizontal="left", vertical="bottom", text_rotation=90)
        else:
            cell.alignment = Alignment(vertical="center")
        cells.append(cell)
    return cells


def _header(sheet, columns: Sequence[Column]) -> None:
    """Column widths, print setup and the header row.

    Columns are as wide as their values, not their names: a 0/1 flag column as wide as
    "flag_closed_emotional_loop" made the sheet about 400 characters wide, so fitted to
    one printed page it came out at a third of its size. Names longer than their column
    are written upright instead, in a header row tall enough for the longest of them.
    """
    from openpyxl.utils import get_column_letter

    upright = [len(c.name) + 2 > c.width for c in columns]
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    if any(upright):
        longest = max(len(c.name) for c, up in zip(columns, upright, strict=True) if up)
        sheet.row_dimensions[1].height = UPRIGHT_POINTS_PER_CHARACTER * longest + 12
    print_setup(sheet)  # before the first row: write-only sheets write their setup then
    sheet.append(header_cells(sheet, [c.name for c in columns], upright))


def _finish(sheet, columns: Sequence[Column], rows: int) -> None:
    from openpyxl.utils import get_column_letter

    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"


def _text_sheet(
    workbook, title: str, header: Sequence[str], lines: Iterable[Sequence], widths: Sequence[int]
) -> None:
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    print_setup(sheet)
    sheet.append(header_cells(sheet, header))
    for line in lines:
        sheet.append([protect_formula(v) if isinstance(v, str) else v for v in line])


def _number_style(sheet, number_format: str | None) -> int | None:
    """The workbook's cell-format index for numbers in ``number_format`` (None: General)."""
    from openpyxl.cell import WriteOnlyCell

    if number_format is None:
        return None
    cell = WriteOnlyCell(sheet, value=0.0)
    cell.number_format = number_format
    return cell.style_id


def _stream_flag_sheets(
    workbook: Workbook,
    scratch: Path,
    columns: Sequence[Column],
    rows: Iterable[Mapping],
    progress: Callable[[int], None] | None,
    max_rows_per_sheet: int,
) -> tuple[dict[str, str], dict[str, int]]:
    """Add the Flags sheet(s) with their headers; write their data rows to files in scratch.

    Returns (sheet title -> rows file, sheet title -> row count), in sheet order.
    """
    from openpyxl.cell import WriteOnlyCell

    from qa_app.domain.files.xlsx_rows import RowStream

    spec = [(c.name, CONVERTED.get(c.kind)) for c in columns]
    rows_by_sheet: dict[str, str] = {}
    counts: dict[str, int] = {}
    sheet = handle = stream = None
    date_style, number_styles = 0, [None] * len(columns)
    try:
        for row in rows:
            if stream is None or counts[sheet.title] == max_rows_per_sheet:
                if handle is not None:
                    handle.close()
                number = len(rows_by_sheet) + 1
                sheet = workbook.create_sheet("Flags" if number == 1 else f"Flags {number}")
                if number == 1:
                    # Registers the formats in the workbook's styles and gives their indexes.
                    date_style = WriteOnlyCell(sheet, value=datetime(2000, 1, 1)).style_id
                    number_styles = [_number_style(sheet, c.number_format) for c in columns]
                _header(sheet, columns)
                rows_by_sheet[sheet.title] = str(scratch / f"rows-{number}.xml")
                counts[sheet.title] = 0
                handle = open(rows_by_sheet[sheet.title], "w", encoding="utf-8", errors="replace")
                stream = RowStream(handle, len(columns), date_style, 2, number_styles)
            values = []
            for name, convert in spec:
                value = row.get(name)
                if value is not None and convert is not None:
                    value = convert(value)
                values.append(value)
            stream.write(values)
            counts[sheet.title] += 1
            if progress:
                progress(1)
    finally:
        if handle is not None:
            handle.close()
    if sheet is None:  # no rows: a Flags sheet with its header only
        sheet = workbook.create_sheet("Flags")
        _header(sheet, columns)
        counts[sheet.title] = 0
    for sheet in workbook.worksheets:
        if sheet.title in counts:
            _finish(sheet, columns, counts[sheet.title])
    return rows_by_sheet, counts


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

    ``target`` is a path or a binary file object. ``comparison`` is called with the
    workbook to add its own sheet. Returns the row count.
    """
    from openpyxl import Workbook

    from qa_app.domain.files.xlsx_rows import splice_rows

    workbook = Workbook(write_only=True)
    with tempfile.TemporaryDirectory(prefix="qa-app-xlsx-") as scratch:
        rows_by_sheet, counts = _stream_flag_sheets(
            workbook, Path(scratch), columns, rows, progress, max_rows_per_sheet
        )
        _describe(workbook, columns, about, rubric, counts, max_rows_per_sheet)
        if comparison is not None:
            comparison(workbook)
        saved = Path(scratch) / "workbook.xlsx"
        workbook.save(saved)
        splice_rows(saved, rows_by_sheet, target)
    return sum(counts.values())


def _describe(
    workbook: Workbook,
    columns: Sequence[Column],
    about: Sequence[tuple[str, object]],
    rubric: Rubric,
    counts: Mapping[str, int],
    max_rows_per_sheet: int,
) -> None:
    """The Data dictionary and About sheets."""

    dictionary = [(c.name, c.kind, c.description) for c in columns]
    dictionary += [("", "", "")] + [
        (f"flag_{f.name}", "rule", f"{f.rule} — {f.description}") for f in rubric.flags
    ]
    _text_sheet(
        workbook, "Data dictionary", ("column", "type", "meaning"), dictionary, (26, 10, 100)
    )
    about_lines = [(key, value) for key, value in about]
    about_lines += [("rows", sum(counts.values())), ("sheets with rows", len(counts))]
    if len(counts) > 1:
        about_lines.append(
            (
                "note",
                f"More than {max_rows_per_sheet:,} rows: the rows continue "
                "on sheets Flags 2, Flags 3, ... with the same columns.",
            )
        )
    _text_sheet(workbook, "About", ("", ""), about_lines, (28, 80))
