"""One upload causes bounded work, whatever the file declares (rows, columns, cell sizes)."""

from __future__ import annotations

import threading
import zipfile

import pytest
from openpyxl import Workbook

from qa_app.domain.files import tables as tabular
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
    assert f"more than 3 rows ({where})" in str(refused.value)
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
    monkeypatch.setattr(tabular, "MAX_XLSX_UNPACKED", 1000)
    with pytest.raises(FileProblem, match=r"the workbook unpacks to .* MB; an import takes"):
        read_table(path)


def test_empty_cells_after_the_last_column_are_not_columns(tmp_path):
    path = workbook(tmp_path / "trailing.xlsx", [["call_id", "agent", None, None], ["C-1", "A"]])
    assert read_table(path).columns == ["call_id", "agent"]
