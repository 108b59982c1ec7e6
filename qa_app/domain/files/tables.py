"""Reading import files (CSV, XLSX, JSONL) into numbered rows, and reading their cells.

Row numbers are what a person sees when they open the file: in CSV and XLSX the
header is row 1, so the first data row is row 2; in JSONL it is the line number. The shared
error report (RowError, ImportReport, the rejects file) is in qa_app.domain.files.reports.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from qa_app.domain.dates import range_problem
from qa_app.domain.files.reports import ImportReport, one_line
from qa_app.domain.files.workbook_checks import (
    shared_strings_problem,
    sheet_rows_problem,
    unpacked_problem,
)

SUPPORTED = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# A long call's transcript is one cell; the csv module's default limit is 128 KiB a cell.
MAX_CELL = 16 * 1024 * 1024
csv.field_size_limit(MAX_CELL)
# Bounds on the work one upload may cause, whatever the file declares: a 1.5 KB workbook can
# claim a million rows by 16,384 columns, and a small zip can unpack to gigabytes.
MAX_ROWS = 1_000_000
MAX_COLUMNS = 500
# One line of CSV or JSONL longer than this cannot be a row of cells of at most MAX_CELL
# characters (4 bytes each in UTF-8, at most): refused before decoding it.
MAX_LINE_BYTES = 4 * 16 * 1024 * 1024
# Reading and checking one file stops after this long, whatever it holds.
MAX_READ_SECONDS = 300


class FileProblem(ValueError):
    """The file as a whole cannot be read (wrong type, not UTF-8, no header ...)."""

    def __init__(self, message: str):
        super().__init__(one_line(message))


@dataclass
class Table:
    """Rows of one file, as dicts of column -> raw value, with their row numbers."""

    columns: list[str]
    rows: list[tuple[int, dict[str, Any]]]
    row_unit: str = "row"


@dataclass
class Columns:
    """A file read column by column: the kept rows' numbers and one list of values per column.

    The same content as a :class:`Table`, without a dict per row (a 200,000-row ratings
    file spent most of its time building those).
    """

    columns: list[str]
    rows: list[int]
    values: dict[str, list[Any]]
    row_unit: str = "row"

    @classmethod
    def of(cls, table: Table) -> Columns:
        """A :class:`Table`'s content, column by column (absent cells are None)."""
        return cls(
            list(table.columns),
            [row for row, _raw in table.rows],
            {c: [raw.get(c) for _row, raw in table.rows] for c in table.columns},
            table.row_unit,
        )


def rejected_for_missing_columns(table: Table, required, report: ImportReport) -> bool:
    """Reject every row (or the header, for an empty file) when required columns are missing."""
    missing = [c for c in required if c not in table.columns]
    if not missing:
        return False
    message = f"missing required column(s): {', '.join(missing)}"
    for row, raw in table.rows or [(1, {})]:
        # A line that could not be read at all (JSONL) says why, not which columns it lacks.
        report.reject(row, raw, raw.get("__error__", message), table.row_unit)
    return True


def file_format(path: Path) -> str:
    """The format named by the file's extension, or FileProblem."""
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise FileProblem(
            f"{path.name}: unsupported file type '{path.suffix or '(none)'}'; "
            "use .csv, .xlsx or .jsonl"
        )
    return kind


def read_table(path: Path, allowed: set[str] | None = None) -> Table:
    """Read a CSV, XLSX or JSONL file. ``allowed`` limits the formats accepted."""
    kind = file_format(path)
    if allowed is not None and kind not in allowed:
        names = ", ".join(sorted(f".{k}" for k in allowed))
        raise FileProblem(f"{path.name}: this import takes {names} files")
    if not path.exists():
        raise FileProblem(f"{path}: no such file")
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "jsonl": _read_jsonl}[kind]
    return reader(path)


def _check_line_lengths(path: Path) -> None:
    """Refuse a file with a line longer than MAX_LINE_BYTES, reading it in blocks: no memory
    grows and nothing is decoded on the way (a 90 MB one-line CSV took 17 s and 520 MB)."""
    if path.stat().st_size <= MAX_LINE_BYTES:  # no line can be longer than the file
        return
    run = 0  # bytes of the line being read, carried from one block to the next
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines = block.split(b"\n")
            ended = [run + len(lines[0]), *map(len, lines[1:-1])] if len(lines) > 1 else []
            run = len(lines[-1]) if len(lines) > 1 else run + len(block)
            if run > MAX_LINE_BYTES or max(ended, default=0) > MAX_LINE_BYTES:
                break
        else:
            return
    raise FileProblem(
        f"{path.name}: a line is longer than {MAX_LINE_BYTES // 2**20} MB; a row's cells hold at "
        f"most {MAX_CELL:,} characters each. Nothing was imported."
    )


def _decode(path: Path) -> str:
    _check_line_lengths(path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"{path.name}: the file is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); "
            "save it as UTF-8 and import again"
        ) from exc
    if "\x00" in text:  # no database text column can hold it (PostgreSQL refuses it)
        line = text[: text.index("\x00")].count("\n") + 1
        raise FileProblem(
            f"{path.name}: line {line} contains a NUL character; remove it and import again"
        )
    return text


def _header(columns: list[Any], path: Path) -> list[str]:
    names = [str(c).strip() if c is not None else "" for c in columns]
    while names and not names[-1]:
        names.pop()  # spreadsheets often carry empty cells after the last column
    if not any(names):
        raise FileProblem(f"{path.name}: the first row must name the columns")
    if len(names) > MAX_COLUMNS:
        raise FileProblem(
            f"{path.name}: the header has {len(names):,} columns; an import takes at most "
            f"{MAX_COLUMNS:,}"
        )
    seen: set[str] = set()
    for name in names:
        if not name:
            continue
        if name in seen:
            raise FileProblem(f"{path.name}: column '{name}' appears twice in the header")
        seen.add(name)
    return names


def _csv_reader(path: Path):
    """A strict CSV reader over the decoded file; FileProblem for an empty file.

    Strict: a quote that is never closed would otherwise swallow every row after it.
    """
    text = _decode(path)
    if not text.strip():
        raise FileProblem(f"{path.name}: the file is empty")
    return csv.reader(io.StringIO(text, newline=""), strict=True)


def _read_csv(path: Path) -> Table:
    reader = _csv_reader(path)
    try:
        columns = _header(next(reader), path)
        rows = []
        deadline = _Deadline(path)
        # Numbered by record, as a spreadsheet shows them (a quoted cell may span lines).
        for row_number, values in enumerate(reader, start=2):
            deadline.check(row_number)
            if not any(v.strip() for v in values):
                continue
            record = {c: (values[i] if i < len(values) else "") for i, c in enumerate(columns) if c}
            _append_row(rows, row_number, record, path)
    except csv.Error as exc:
        raise FileProblem(
            f"{path.name}: not valid CSV near line {reader.line_num} ({exc}); a quote "
            "may be left open. Nothing was imported."
        ) from None
    return Table([c for c in columns if c], rows)


class _Deadline:
    """Bounds one file's reading: every scanned row counts toward MAX_ROWS, blank or not (ten
    million blank CSV rows ran 50 s without counting), and reading stops after
    MAX_READ_SECONDS. Checked per row; the clock is read every thousand rows."""

    def __init__(self, path: Path, count_rows: bool = True):
        self.path = path
        self.count_rows = count_rows  # XLSX rows are counted in the sheet's XML instead
        self.until = time.monotonic() + MAX_READ_SECONDS

    def check(self, row_number: int) -> None:
        """Raise FileProblem at the first limit this row crosses."""
        if self.count_rows and row_number - 1 > MAX_ROWS:
            raise FileProblem(
                f"{self.path.name}: more than {MAX_ROWS:,} rows (row {row_number}), blank ones "
                "included; split the file and import the parts one after another. Nothing was "
                "imported."
            )
        if row_number % 1000 == 0 and time.monotonic() > self.until:
            raise FileProblem(
                f"{self.path.name}: reading stopped at row {row_number:,} after "
                f"{MAX_READ_SECONDS // 60} minutes; split the file and import the parts one "
                "after another. Nothing was imported."
            )


def _append_row(rows: list, row_number: int, record: dict[str, Any], path: Path) -> None:
    if len(rows) >= MAX_ROWS:
        _too_many_rows(path, row_number)
    rows.append((row_number, record))


def _too_many_rows(path: Path, row_number: int):
    raise FileProblem(
        f"{path.name}: more than {MAX_ROWS:,} rows (row {row_number}); split the file and "
        "import the parts one after another. Nothing was imported."
    )


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    for check in (unpacked_problem, shared_strings_problem):  # in turn: the first reads the zip
        problem = check(path)
        if problem:
            raise FileProblem(f"{path.name}: {problem}")
    # Our own handle: openpyxl leaves its file open when a damaged workbook fails to load.
    with path.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise FileProblem(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
        try:
            return _xlsx_rows(workbook, path)
        except FileProblem:
            raise
        except Exception as exc:  # a read-only sheet is parsed as it is read: damage shows here
            raise FileProblem(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
        finally:
            workbook.close()


def _xlsx_rows(workbook, path: Path) -> Table:
    """The first sheet's rows (see _read_xlsx)."""
    from openpyxl.utils import get_column_letter

    sheet = workbook.worksheets[0]
    # The declared dimension (e.g. A1:XFD1048576) is the writer's claim, not the data:
    # padding every row to it took minutes for a 1.5 KB file. Read the cells there are.
    sheet.reset_dimensions()
    try:
        first = next(sheet.iter_rows(max_row=1, values_only=True))
    except StopIteration:
        raise FileProblem(f"{path.name}: the first sheet is empty") from None
    columns = _header(list(first[: MAX_COLUMNS + 1]), path)
    width = len(columns)
    problem = sheet_rows_problem(path, getattr(sheet, "_worksheet_path", ""), MAX_ROWS)
    if problem:
        raise FileProblem(f"{path.name}: {problem}")
    rows = []
    deadline = _Deadline(path, count_rows=False)
    for row_number, values in enumerate(
        sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=2
    ):
        deadline.check(row_number)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        for i, value in enumerate(values):
            if isinstance(value, str) and len(value) > MAX_CELL:
                raise FileProblem(
                    f"{path.name}: cell {get_column_letter(i + 1)}{row_number} holds "
                    f"{len(value):,} characters; a cell may hold at most {MAX_CELL:,}"
                )
        record = {
            c: _cell_text(values[i] if i < len(values) else None)
            for i, c in enumerate(columns)
            if c
        }
        _append_row(rows, row_number, record, path)
    return Table([c for c in columns if c], rows)


def _cell_text(value: Any) -> Any:
    """XLSX cells keep real dates and numbers; None becomes an empty string."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_jsonl(path: Path) -> Table:
    text = _decode(path)
    rows, columns = [], {}
    # Lines end at \n only (JSON Lines): splitlines() also cut at U+2028 or \x1c, which a JSON
    # string may hold as they are, and so refused valid lines. json.loads ignores a \r.
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            _append_row(rows, line_number, {"__error__": f"not valid JSON ({exc.msg})"}, path)
            continue
        except (ValueError, RecursionError):  # a 5,000-digit number, nesting 100,000 deep
            error = {"__error__": "JSON too large or too deeply nested"}
            _append_row(rows, line_number, error, path)
            continue
        if not isinstance(record, dict):
            _append_row(rows, line_number, {"__error__": "each line must be a JSON object"}, path)
            continue
        columns.update(dict.fromkeys(record))
        if len(columns) > MAX_COLUMNS:
            raise FileProblem(
                f"{path.name}: line {line_number} brings the number of fields to "
                f"{len(columns):,}; an import takes at most {MAX_COLUMNS:,}"
            )
        _append_row(rows, line_number, record, path)
    if not rows:
        raise FileProblem(f"{path.name}: the file is empty")
    return Table(list(columns), rows, row_unit="line")


def as_text(value: Any) -> str:
    """A raw cell as stripped text ('' for blank)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 text (or an XLSX date cell) as an aware UTC datetime; blank is None.

    A time without an offset is taken as UTC. Raises ValueError when unreadable.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = as_text(value)
        if not text:
            return None
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"'{text}' is not an ISO 8601 date or time (e.g. 2026-03-01T14:05:00Z)"
            ) from None
    problem = range_problem(moment)
    if problem:
        raise ValueError(problem)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
