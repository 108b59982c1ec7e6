"""One upload causes bounded work, whatever the file declares (rows, columns, cell sizes)."""

from __future__ import annotations

import re
import threading
import zipfile

import pytest
from openpyxl import Workbook

from qa_app.domain.files import tables as tabular
from qa_app.domain.files import workbook_checks
from qa_app.domain.files.tables import FileProblem, read_table


def workbook(path, rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def declare_dimension(path, dimension, last_row=""):
    """Rewrite the sheet's <dimension ref=...>, as a hostile or careless writer would, and
    append ``last_row`` (sheet XML) after the rows there are."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = members[sheet].decode()
    start = xml.index('<dimension ref="') + len('<dimension ref="')
    xml = xml[:start] + dimension + xml[xml.index('"', start) :]
    members[sheet] = xml.replace("</sheetData>", f"{last_row}</sheetData>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def test_a_declared_dimension_of_the_whole_sheet_reads_only_the_cells_there_are(tmp_path):
    path = workbook(tmp_path / "claims.xlsx", [["call_id", "agent"], ["C-1", "Ana"], ["C-2", "Bo"]])
    # One blank cell in the sheet's last row and column, as a 1.5 KB file can hold.
    blank = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t> </t></is></c></row>'
    declare_dimension(path, "A1:XFD1048576", blank)
    result: dict = {}
    reader = threading.Thread(target=lambda: result.update(table=read_table(path)), daemon=True)
    reader.start()
    reader.join(timeout=30)  # padding to the declared size took minutes of a full core
    assert "table" in result, "reading a 3-row workbook did not finish"
    table = result["table"]
    assert table.columns == ["call_id", "agent"]
    assert [raw for _, raw in table.rows] == [
        {"call_id": "C-1", "agent": "Ana"},
        {"call_id": "C-2", "agent": "Bo"},
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl"])
def test_more_rows_than_the_limit_refuse_the_file_naming_where(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(tabular, "MAX_ROWS", 3)
    rows = [["call_id"], *[[f"C-{i}"] for i in range(4)]]
    path = tmp_path / f"many{suffix}"
    if suffix == ".xlsx":
        workbook(path, rows)
    elif suffix == ".csv":
        path.write_text("\n".join(r[0] for r in rows) + "\n", encoding="utf-8")
    else:
        path.write_text("".join(f'{{"call_id": "{r[0]}"}}\n' for r in rows[1:]), encoding="utf-8")
    with pytest.raises(FileProblem) as refused:
        read_table(path)
    where = "row 5" if suffix != ".jsonl" else "row 4"  # JSONL has no header line
    assert re.search(rf"more than 3 rows \({where}\b", str(refused.value)), refused.value
    assert "split the file" in str(refused.value)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_header_wider_than_the_limit_is_refused(tmp_path, suffix):
    header = [f"c{i}" for i in range(tabular.MAX_COLUMNS + 1)]
    path = tmp_path / f"wide{suffix}"
    if suffix == ".xlsx":
        workbook(path, [header, ["x"] * len(header)])
    else:
        path.write_text(",".join(header) + "\n" + ",".join("x" * len(header)) + "\n")
    with pytest.raises(FileProblem, match=r"the header has 501 columns; an import takes at most"):
        read_table(path)


def test_an_oversized_xlsx_cell_is_refused_with_its_address(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_CELL", 100)
    path = workbook(tmp_path / "big.xlsx", [["call_id", "transcript"], ["C-1", "x" * 101]])
    with pytest.raises(FileProblem, match=r"cell B2 holds 101 characters; a cell may hold at most"):
        read_table(path)


def test_a_workbook_that_unpacks_too_large_is_refused_before_parsing(tmp_path, monkeypatch):
    path = workbook(tmp_path / "bomb.xlsx", [["call_id"], ["C-1"]])
    monkeypatch.setattr(workbook_checks, "MAX_XLSX_UNPACKED", 1000)
    with pytest.raises(FileProblem, match=r"the workbook unpacks to .* MB; an import takes"):
        read_table(path)


def test_empty_cells_after_the_last_column_are_not_columns(tmp_path):
    path = workbook(tmp_path / "trailing.xlsx", [["call_id", "agent", None, None], ["C-1", "A"]])
    assert read_table(path).columns == ["call_id", "agent"]


def shared_strings(path, count: int, prefix: str = ""):
    """Replace the workbook's shared strings with ``count`` tiny ones, as a bomb would."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    tag = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns{":" + prefix if prefix else ""}="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    strings = "".join(f"<{tag}si><{tag}t>s{n}</{tag}t></{tag}si>" for n in range(count))
    members["xl/sharedStrings.xml"] = (
        f'<{tag}sst {xmlns} count="{count}" uniqueCount="{count}">{strings}</{tag}sst>'
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


@pytest.mark.parametrize("prefix", ["", "x"])
def test_too_many_shared_strings_are_refused_before_they_are_read(tmp_path, monkeypatch, prefix):
    path = workbook(tmp_path / "bomb.xlsx", [["call_id", "agent"], ["C-1", "Ana"]])
    monkeypatch.setattr(workbook_checks, "MAX_SHARED_STRINGS", 5_000)
    shared_strings(path, 5_000, prefix)  # at the limit: read
    monkeypatch.setattr(tabular, "_xlsx_rows", lambda workbook, path: "read")
    assert tabular._read_xlsx(path) == "read"
    shared_strings(path, 5_001, prefix)
    with pytest.raises(FileProblem, match="more than 5,000 shared strings"):
        read_table(path)


def test_shared_strings_too_large_are_refused_before_they_are_read(tmp_path, monkeypatch):
    path = workbook(tmp_path / "big.xlsx", [["call_id", "agent"], ["C-1", "Ana"]])
    shared_strings(path, 2_000)
    monkeypatch.setattr(workbook_checks, "MAX_SHARED_STRINGS_BYTES", 10_000)
    with pytest.raises(FileProblem, match="its shared strings unpack to"):
        read_table(path)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_blank_rows_count_toward_the_row_limit(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(tabular, "MAX_ROWS", 100)
    rows = [["call_id", "agent"], *([["", ""]] * 150), ["C-1", "Ana"]]
    if suffix == "csv":
        path = tmp_path / "blank.csv"
        path.write_text("\n".join(",".join(row) for row in rows) + "\n")
    else:
        path = workbook(tmp_path / "blank.xlsx", [row if any(row) else [None, " "] for row in rows])
    with pytest.raises(FileProblem, match=r"more than 100 rows \(row 102.*blank ones included"):
        read_table(path)


def test_a_line_too_long_for_any_row_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_LINE_BYTES", 10_000)
    path = tmp_path / "one-line.csv"
    path.write_text("call_id,agent\n" + "x" * 5_000 + "\n" + "y" * 10_001)
    decoded = []
    monkeypatch.setattr(tabular.Path, "read_bytes", lambda self: decoded.append(self) or b"")
    with pytest.raises(FileProblem, match="a line is longer than"):
        read_table(path)
    assert decoded == []  # refused before the file was read whole
    path.write_text("call_id,agent\n" + "x" * 5_000 + "\n" + "y" * 9_999 + "\n")
    tabular._check_line_lengths(path)  # each line within the limit: no problem


def test_reading_stops_after_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "MAX_READ_SECONDS", -1)
    path = tmp_path / "slow.csv"
    path.write_text("call_id,agent\n" + "C-1,Ana\n" * 1_500)
    with pytest.raises(FileProblem, match="reading stopped at row 1,000 after"):
        read_table(path)


def test_a_line_nested_too_deep_is_named_as_such_even_alone(tmp_path):
    from qa_app.domain.imports.calls import validate_calls

    path = tmp_path / "deep.jsonl"
    path.write_text('{"call_id": ' + "[" * 200_000 + "]" * 200_000 + "}\n")
    report = validate_calls(read_table(path))
    assert [error.message for error in report.errors] == ["JSON too large or too deeply nested"]
