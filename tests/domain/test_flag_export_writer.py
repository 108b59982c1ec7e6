"""The streamed workbook: header, types, formula safety and the sheet-overflow policy."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from qa_app.domain.flag_export import flag_columns, write_csv, write_xlsx
from qa_app.domain.rubrics import load_rubric_file
from tests.conftest import RUBRICS_DIR

RUBRIC = load_rubric_file(RUBRICS_DIR / "empathy-v1.toml")
COLUMNS = flag_columns(RUBRIC, [("saved", "boolean")])


def row(number):
    return {
        "call_id": f"C-{number}",
        "started_at": datetime(2026, 3, 1, 9, tzinfo=UTC),
        "agent": "Ana",
        "score_summary": 4,
        "flag_summarized": True,
        "weight": 0.5,
        "outcome_saved": False,
    }


def test_rows_continue_on_more_sheets_when_one_is_full():
    target = io.BytesIO()
    count = write_xlsx(
        target,
        COLUMNS,
        (row(n) for n in range(7)),
        [("rubric", "empathy@1")],
        RUBRIC,
        max_rows_per_sheet=3,
    )
    workbook = load_workbook(io.BytesIO(target.getvalue()))
    assert count == 7
    assert workbook.sheetnames[:3] == ["Flags", "Flags 2", "Flags 3"]
    assert [workbook[s].max_row for s in ("Flags", "Flags 2", "Flags 3")] == [4, 4, 2]
    assert workbook["Flags 2"]["A1"].value == "call_id"
    about = {r[0].value: r[1].value for r in workbook["About"].iter_rows(min_row=2)}
    assert about["rows"] == 7 and "continue on sheets Flags 2" in about["note"]


def test_cells_have_real_types_and_text_never_runs_as_a_formula():
    target = io.BytesIO()
    rows = [
        row(1) | {"agent": prefix + "cmd", "team": "ok"}
        for prefix in ("=", "+", "-", "@", "\t", "\r")
    ]
    write_xlsx(target, COLUMNS, rows, [], RUBRIC)
    sheet = load_workbook(io.BytesIO(target.getvalue()))["Flags"]
    header = [c.value for c in sheet[1]]
    agents = [r[header.index("agent")].value for r in sheet.iter_rows(min_row=2)]
    assert agents[:5] == ["'=cmd", "'+cmd", "'-cmd", "'@cmd", "'\tcmd"]
    # A carriage return may read back as a line feed (XML line-end handling); either way the
    # quote prefix is there.
    assert agents[5] in ("'\rcmd", "'\ncmd")
    first = sheet[2]
    assert first[header.index("started_at")].value == datetime(2026, 3, 1, 9)
    assert first[header.index("flag_summarized")].value is True
    assert first[header.index("outcome_saved")].value is False
    assert first[header.index("score_summary")].value == 4
    assert first[header.index("flag_acknowledged")].value is None
    text = io.StringIO()
    write_csv(text, COLUMNS, rows)
    lines = text.getvalue().splitlines()
    assert lines[1].split(",")[2] == "'=cmd" and ",TRUE," in lines[1]
