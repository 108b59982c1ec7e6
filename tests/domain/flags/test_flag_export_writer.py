"""The streamed workbook: header, types, formula safety and the sheet-overflow policy."""

from __future__ import annotations

import csv
import io
import math
import struct
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import numpy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from qa_app.domain.files.xlsx_rows import RowStream
from qa_app.domain.flags.export import CALL_COLUMNS, flag_columns, write_csv, write_xlsx
from qa_app.domain.rubrics.definitions import load_rubric_file
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
    # The carriage return is written as a character reference, so it reads back as itself.
    assert agents == ["'=cmd", "'+cmd", "'-cmd", "'@cmd", "'\tcmd", "'\rcmd"]
    first = sheet[2]
    assert first[header.index("started_at")].value == datetime(2026, 3, 1, 9)
    assert first[header.index("flag_summarized")].value is True
    assert first[header.index("outcome_saved")].value is False
    assert first[header.index("score_summary")].value == 4
    assert first[header.index("flag_acknowledged")].value is None
    text = io.StringIO(newline="")
    write_csv(text, COLUMNS, rows)
    header, *lines = list(csv.reader(io.StringIO(text.getvalue(), newline="")))
    assert [line[header.index("agent")] for line in lines] == agents
    assert lines[0][header.index("flag_summarized")] == "TRUE"


def test_text_from_outside_reads_back_as_written_and_never_breaks_the_file():
    """Markup, spaces, control characters and over-long text, as an import could bring them."""
    texts = {
        "agent": "<b>Ana & Bo</b> \"quoted\" 'single'",
        "team": "  padded  ",
        "queue": "line one\nline two",
        "channel": "bell\x07 and null\x00 dropped",
        "interaction_type": "x" * 40_000,
        "save_script": "émoji 😀 ünïcode",
    }
    target = io.BytesIO()
    write_xlsx(target, COLUMNS, [row(1) | texts | {"weight": math.nan}], [], RUBRIC)
    sheet = load_workbook(io.BytesIO(target.getvalue()))["Flags"]
    values = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
    assert values["agent"] == texts["agent"]
    assert values["team"] == "  padded  "
    assert values["queue"] == "line one\nline two"
    # XML cannot carry these control characters at all; they are left out, the rest kept.
    assert values["channel"] == "bell and null dropped"
    assert values["interaction_type"] == "x" * 32_767  # Excel's limit for one cell
    assert values["save_script"] == texts["save_script"]
    assert values["weight"] is None  # NaN is a blank cell, not an error in Excel


def test_numbers_from_database_drivers_are_numbers():
    target = io.BytesIO()
    rows = [row(1) | {"weight": Decimal("0.125"), "agent_tenure_days": 12, "score_summary": 3.5}]
    write_xlsx(target, COLUMNS, rows, [], RUBRIC)
    sheet = load_workbook(io.BytesIO(target.getvalue()))["Flags"]
    values = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
    assert values["weight"] == 0.125 and isinstance(values["weight"], float)
    assert values["agent_tenure_days"] == 12 and isinstance(values["agent_tenure_days"], int)
    assert values["score_summary"] == 3.5
    assert sheet["B2"].number_format.startswith("yyyy-mm-dd")


def test_header_style_frozen_pane_filter_and_widths_survive_with_no_rows():
    target = io.BytesIO()
    count = write_xlsx(target, COLUMNS, [], [("rubric", "empathy@1")], RUBRIC)
    workbook = load_workbook(io.BytesIO(target.getvalue()))
    sheet = workbook["Flags"]
    assert count == 0 and sheet.max_row == 1
    last = get_column_letter(len(COLUMNS))
    assert [c.value for c in sheet[1]] == [c.name for c in COLUMNS]
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("1C3F8A")
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{last}1"
    assert sheet.column_dimensions["C"].width == CALL_COLUMNS[2].width
    assert workbook.sheetnames == ["Flags", "Data dictionary", "About"]


def test_sheet_parts_use_plain_zip_headers_below_2_gib():
    """ZIP64 local headers on small parts are what some Excel versions refuse to open."""
    target = io.BytesIO()
    write_xlsx(target, COLUMNS, (row(n) for n in range(50)), [], RUBRIC)
    data = target.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            # Local file header: 30 fixed bytes, then the name, then the extra field.
            name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
            start = info.header_offset + 30 + name_length
            extra = data[start : start + extra_length]
            tags, at = [], 0
            while at < len(extra):
                tag, size = struct.unpack_from("<HH", extra, at)
                tags.append(tag)
                at += 4 + size
            assert 0x0001 not in tags, f"{info.filename} has a ZIP64 local header"


def assert_prints_landscape_one_page_wide(sheet, header_rows=1):
    """What printing a sheet gives: landscape, one page wide, header on every page."""
    setup = sheet.page_setup
    assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    if header_rows:
        assert sheet.print_title_rows == f"$1:${header_rows}"
        assert sheet.freeze_panes == f"A{header_rows + 1}"


def test_every_sheet_prints_landscape_one_page_wide_with_the_header_on_each_page():
    target = io.BytesIO()
    write_xlsx(
        target,
        COLUMNS,
        (row(n) for n in range(5)),
        [("rubric", "empathy@1")],
        RUBRIC,
        max_rows_per_sheet=3,
    )
    workbook = load_workbook(io.BytesIO(target.getvalue()))
    assert workbook.sheetnames == ["Flags", "Flags 2", "Data dictionary", "About"]
    for sheet in workbook.worksheets:
        assert_prints_landscape_one_page_wide(sheet)


def test_flag_columns_are_as_narrow_as_their_values_with_long_names_upright():
    """A flag column as wide as its name made the printed page a third of its size."""
    target = io.BytesIO()
    write_xlsx(target, COLUMNS, [row(1)], [], RUBRIC)
    sheet = load_workbook(io.BytesIO(target.getvalue()))["Flags"]
    header = {c.value: c for c in sheet[1]}
    total = sum(sheet.column_dimensions[get_column_letter(i)].width for i in range(1, 24))
    assert total < 250, total
    flag = header["flag_closed_emotional_loop"]
    assert sheet.column_dimensions[flag.column_letter].width < len(flag.value)
    assert flag.alignment.textRotation == 90
    assert header["agent"].alignment.textRotation == 0  # a name that fits stays level
    assert sheet.row_dimensions[1].height >= 6 * len("flag_closed_emotional_loop")


def test_weights_show_three_decimals_and_booleans_are_true_false_cells():
    target = io.BytesIO()
    rows = [row(1) | {"weight": 0.8333333333333334}, row(2) | {"flag_summarized": False}]
    write_xlsx(target, COLUMNS, rows, [], RUBRIC)
    sheet = load_workbook(io.BytesIO(target.getvalue()))["Flags"]
    header = [c.value for c in sheet[1]]
    weight = sheet.cell(2, header.index("weight") + 1)
    assert weight.value == 0.8333333333333334 and weight.number_format == "0.000"
    score = sheet.cell(2, header.index("score_summary") + 1)
    assert score.value == 4 and score.number_format == "General"  # 4 and 3.5 as scored
    flags = [sheet.cell(r, header.index("flag_summarized") + 1) for r in (2, 3)]
    assert [(c.value, c.data_type) for c in flags] == [(True, "b"), (False, "b")]
    # A numpy boolean (a DataFrame's) is a TRUE/FALSE cell too, not the number 1.
    stream = io.StringIO()
    RowStream(stream, 2, 1, number_styles=[None, 5]).write([numpy.bool_(True), numpy.True_])
    assert stream.getvalue().count('t="b"><v>1</v>') == 2
