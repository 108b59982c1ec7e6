"""CSV read faster than read_table, with every one of its checks: column by column (the
agreement command's ratings), or a piece at a time (the calls import, in flat memory).

Both fall back on read_table's own CSV reader for the error message when a file turns out
unreadable, so a file is refused in the same words whichever reader met it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

# The table readers' own checks, shared within the files package.
from qa_app.domain.files.tables import (
    MAX_ROWS,
    Columns,
    FileProblem,
    Table,
    _check_line_lengths,
    _csv_reader,
    _Deadline,
    _header,
    _read_csv,
    _too_many_rows,
    file_format,
    read_table,
)


def read_columns(path: Path, allowed: set[str] | None = None) -> Columns:
    """:func:`read_table`'s content column by column; CSV is read without a dict per row.

    Every check of :func:`read_table` holds: when the quick CSV pass meets anything it
    does not accept (a quote error, too many rows), the file is read again the ordinary
    way, so the error is exactly the one :func:`read_table` gives.
    """
    if file_format(path) != "csv" or (allowed is not None and "csv" not in allowed):
        return Columns.of(read_table(path, allowed))
    if not path.exists():
        raise FileProblem(f"{path}: no such file")
    reader = _csv_reader(path)
    try:
        columns = _header(next(reader), path)
        records = list(reader)
    except csv.Error:
        return Columns.of(_read_csv(path))  # raises the reference error
    # Blank rows are skipped but keep their numbers: the row numbers are the record's place.
    # map() keeps these passes in C (a 200,000-row file spent a fifth of its time here).
    filled = list(map(str.strip, map("".join, records)))
    if all(filled):
        kept = list(range(len(records)))
    else:
        kept = [i for i, text in enumerate(filled) if text]
        records = [records[i] for i in kept]
    if len(kept) > MAX_ROWS:
        return Columns.of(_read_csv(path))  # raises the reference error
    width = len(columns)
    if set(map(len, records)) - {width}:  # short or long rows: pad and cut
        records = [(record + [""] * width)[:width] for record in records]
    values = {
        name: list(map(itemgetter(index), records))
        for index, name in enumerate(columns)
        if name
    }
    return Columns([c for c in columns if c], [i + 2 for i in kept], values)


def csv_chunks(path: Path, size: int) -> tuple[list[str], Iterator[Table]]:
    """A CSV file's columns, and its rows ``size`` at a time as :class:`Table` pieces, read
    from the file as they are asked for: what is held is one piece, however long the file.

    The rows, their numbers and every check are :func:`read_table`'s: a problem found part
    way (a quote left open, a byte that is not UTF-8, too many rows) raises the same
    FileProblem from the iterator, so a caller writing pieces as they come must do so in a
    transaction it can roll back.
    """
    _check_line_lengths(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            first = next(csv.reader(_lines_without_nul(handle, path), strict=True), None)
        except (UnicodeDecodeError, csv.Error):
            first = None
    if first is None or not "".join(first).strip():
        _reference_problem(path)
    named = [(index, name) for index, name in enumerate(_header(first, path)) if name]
    return [name for _index, name in named], _csv_pieces(path, named, size)


def _csv_pieces(path: Path, named: list[tuple[int, str]], size: int) -> Iterator[Table]:
    width = max((index for index, _name in named), default=-1) + 1
    deadline = _Deadline(path)
    columns = [name for _index, name in named]
    kept = 0
    rows: list[tuple[int, dict[str, Any]]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(_lines_without_nul(handle, path), strict=True)
        try:
            next(reader)  # the header, read by csv_chunks
            for row_number, values in enumerate(reader, start=2):
                deadline.check(row_number)
                if not any(v.strip() for v in values):
                    continue
                if len(values) < width:
                    values = values + [""] * (width - len(values))
                kept += 1
                if kept > MAX_ROWS:
                    _too_many_rows(path, row_number)
                rows.append((row_number, {name: values[index] for index, name in named}))
                if len(rows) >= size:
                    yield Table(columns, rows)
                    rows = []
        except (UnicodeDecodeError, csv.Error):
            _reference_problem(path)
    if rows:
        yield Table(columns, rows)


def _lines_without_nul(handle, path: Path) -> Iterator[str]:
    """The file's lines; at a NUL character, read_table's own message for it."""
    for line in handle:
        if "\x00" in line:
            _reference_problem(path)
        yield line


def _reference_problem(path: Path):
    """Raise the FileProblem read_table gives for this file (found unreadable part way)."""
    _read_csv(path)
    raise FileProblem(f"{path.name}: not valid CSV. Nothing was imported.")  # not reached
