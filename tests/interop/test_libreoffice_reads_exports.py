"""A real spreadsheet program opens the flag spreadsheet: LibreOffice Calc, headless.

LibreOffice converts each sheet to CSV showing what a coach would see in the cells: the
tests check values, dates, TRUE/FALSE and that formula-looking text stays text. Without
``soffice`` these tests skip, unless QA_APP_REQUIRE_LIBREOFFICE=1 (CI), where they fail.
"""

from __future__ import annotations

import csv
import subprocess
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook

from qa_app.domain.flags.export import flag_columns, write_xlsx
from qa_app.domain.rubrics.definitions import load_rubric_file
from tests.conftest import RUBRICS_DIR

RUBRIC = load_rubric_file(RUBRICS_DIR / "empathy-v1.toml")
COLUMNS = flag_columns(RUBRIC, [("saved", "boolean"), ("credit_amount", "number")])
# Comma, double quote, UTF-8, from line 1; values as they show; every sheet to its own file.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
PAYLOADS = ("=1+1", "+1+1", "-1+1", "@SUM(1,1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")')


@pytest.fixture
def calc_sheets(tmp_path, soffice):
    """Convert an XLSX with LibreOffice; return {sheet title: rows of shown values}."""

    def convert(path):
        out = tmp_path / "csv"
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                CSV_FILTER,
                "--outdir",
                str(out),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        sheets = {}
        for file in out.glob(f"{path.stem}-*.csv"):
            with open(file, newline="", encoding="utf-8") as handle:
                sheets[file.stem.removeprefix(f"{path.stem}-")] = list(csv.reader(handle))
        return sheets

    return convert


def test_calc_shows_formula_text_as_text_and_typed_cells_as_values(tmp_path, calc_sheets):
    rows = [
        {
            "call_id": f"C-{n}",
            "started_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            "agent": payload,
            "team": "<b>&amp;</b>",
            "agent_tenure_days": 30,
            "score_summary": 4,
            "flag_summarized": n % 2 == 0,
            "weight": 0.125,
            "outcome_saved": False,
            "outcome_credit_amount": 12.5,
        }
        for n, payload in enumerate(PAYLOADS)
    ]
    write_xlsx(tmp_path / "flags.xlsx", COLUMNS, rows, [("rubric", "empathy@1")], RUBRIC)
    sheets = calc_sheets(tmp_path / "flags.xlsx")
    assert set(sheets) == {"Flags", "Data dictionary", "About"}
    header, *shown = sheets["Flags"]
    assert header == [c.name for c in COLUMNS]
    cells = [dict(zip(header, line, strict=True)) for line in shown]
    assert [c["agent"] for c in cells] == ["'" + p for p in PAYLOADS]
    assert {c["team"] for c in cells} == {"<b>&amp;</b>"}
    assert cells[0]["started_at"] == "2026-03-01 9:30:00"  # a date, shown in its format
    assert [c["flag_summarized"] for c in cells[:2]] == ["TRUE", "FALSE"]
    assert cells[0]["flag_acknowledged"] == ""
    assert (cells[0]["score_summary"], cells[0]["weight"]) == ("4", "0.125")
    assert (cells[0]["outcome_saved"], cells[0]["outcome_credit_amount"]) == ("FALSE", "12.5")


def test_the_harness_sees_a_real_formula_evaluated(tmp_path, calc_sheets):
    """Control: the conversion above would show a formula's result, so text really is text."""
    workbook = Workbook()
    workbook.active.title = "Control"
    workbook.active.append(["=1+1"])
    workbook.save(tmp_path / "control.xlsx")
    assert calc_sheets(tmp_path / "control.xlsx")["Control"] == [["2"]]
