"""Checks on an XLSX import file made before openpyxl reads it, from the zip's directory and by
streaming its XML: each returns what is wrong (for the reader to refuse the file with), or None.

openpyxl reads a workbook's shared strings whole before the first row, and walks every row
element of a sheet: a 270 KB workbook declaring 100 MB of tiny strings kept a core busy for
seven minutes, and three million blank rows for three. Counting tags as bytes stream past
takes a second or two and stops at the first one too many.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

MAX_XLSX_UNPACKED = 1024 * 1024 * 1024
# A workbook's shared-strings table is read whole before its first row: capped by size and by
# count (a 270 KB workbook declaring 100 MB of tiny strings kept a core busy for 7 minutes).
# Three distinct strings a row (call id, transcript, a note) for the most rows an import takes.
MAX_SHARED_STRINGS = 3 * 1_000_000
MAX_SHARED_STRINGS_BYTES = 512 * 1024 * 1024
# The start of a shared string (<si>) or a sheet's row (<row ...>), with or without a namespace
# prefix (<x:si>), as they are counted in a workbook's XML before openpyxl reads it.
OPEN_SI = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?si[\s>/]")
OPEN_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?row[\s>/]")
TAG_LONGEST = 48


def unpacked_problem(path: Path) -> str | None:
    """A workbook that would unpack to more than MAX_XLSX_UNPACKED; the sizes come from the
    zip's own directory, and reading never yields more than they say."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a readable .xlsx workbook ({exc})"
    if unpacked > MAX_XLSX_UNPACKED:
        return (
            f"the workbook unpacks to {unpacked / 2**20:,.0f} MB; an import takes at most "
            f"{MAX_XLSX_UNPACKED / 2**20:,.0f} MB (save it as CSV, or split it)"
        )
    return None


def shared_strings_problem(path: Path) -> str | None:
    """A shared-strings table over MAX_SHARED_STRINGS_BYTES, or holding more than
    MAX_SHARED_STRINGS strings (counted while streaming it)."""
    with zipfile.ZipFile(path) as archive:
        member = next(
            (m for m in archive.infolist() if m.filename.lower() == "xl/sharedstrings.xml"), None
        )
        if member is None:
            return None
        if member.file_size > MAX_SHARED_STRINGS_BYTES:
            return (
                f"its shared strings unpack to {member.file_size / 2**20:,.0f} MB; an import "
                f"reads at most {MAX_SHARED_STRINGS_BYTES // 2**20:,} MB of them (save it as "
                "CSV, or split it)"
            )
        with archive.open(member) as stream:
            if count_starts(stream, OPEN_SI, MAX_SHARED_STRINGS) > MAX_SHARED_STRINGS:
                return (
                    f"more than {MAX_SHARED_STRINGS:,} shared strings; an import takes at most "
                    "that many (save it as CSV, or split it)"
                )
    return None


def sheet_rows_problem(path: Path, part: str, most_rows: int) -> str | None:
    """A sheet (its part in the zip, e.g. /xl/worksheets/sheet1.xml) with more than
    ``most_rows`` row elements after its header, blank ones included. Rows a sheet does not
    have, before one far below, cost nothing and do not count."""
    if not part:
        return None
    with zipfile.ZipFile(path) as archive, archive.open(part.lstrip("/")) as stream:
        rows = count_starts(stream, OPEN_ROW, most_rows + 1)
    if rows > most_rows + 1:
        return (
            f"more than {most_rows:,} rows (row {most_rows + 2:,} of the sheet or later), blank "
            "ones included; split the file and import the parts one after another. Nothing was "
            "imported."
        )
    return None


def count_starts(stream, pattern: re.Pattern, most: int) -> int:
    """How many times ``pattern`` (an element's opening tag) starts in the stream, read in
    blocks; stops as soon as the count passes ``most``."""
    count, data = 0, b""
    while True:
        block = stream.read(1 << 20)
        data += block
        # Count what starts before the last TAG_LONGEST bytes: it is whole here; the rest is
        # counted with the next block (or now, at the end).
        end = len(data) if not block else max(0, len(data) - TAG_LONGEST)
        count += sum(1 for match in pattern.finditer(data) if match.start() < end)
        data = data[end:]
        if count > most or not block:
            return count
