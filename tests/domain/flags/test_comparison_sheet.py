"""The Comparison sheets print like every other sheet the app writes."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from qa_app.domain.comparison_statistics import ASSOCIATION_LABEL, INTERVAL_METHODS
from qa_app.domain.files.sheet_layout import MARGINS
from qa_app.domain.flags.comparison import Comparison
from qa_app.domain.flags.comparison_sheet import SEGMENT_SHEET, add_comparison_sheets
from tests.domain.flags.test_comparison_statistics import simpson_rows


def comparison_workbook():
    comparison = Comparison(["f"], value_is="rate").add_all(simpson_rows())
    report = {
        "outcome": "saved",
        "value_is": "rate",
        "association_note": ASSOCIATION_LABEL,
        "methods": INTERVAL_METHODS["rate"],
        "weighting": "mix",
        "rubric": "empathy@1",
        "by": comparison.by,
        "groups": comparison.groups(),
        "equity": comparison.equity(),
    }
    workbook = Workbook(write_only=True)
    add_comparison_sheets(workbook, report)
    target = io.BytesIO()
    workbook.save(target)
    return load_workbook(io.BytesIO(target.getvalue()))


def test_comparison_sheets_print_with_gridlines_and_the_shared_margins():
    """Gridlines keep a long scaled-down row readable on paper, as on the Flags sheet."""
    workbook = comparison_workbook()
    for title, header_row, frozen in (("Comparison", None, "C"), (SEGMENT_SHEET, 2, "E")):
        sheet = workbook[title]
        if header_row is None:
            header_row = next(r[0].row for r in sheet.iter_rows() if r[0].value == "save_script")
        assert sheet.page_setup.orientation == "landscape"
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_options.gridLines is True
        assert {side: getattr(sheet.page_margins, side) for side in MARGINS} == MARGINS
        # Only the table's header repeats on each page, not the explanations above it.
        assert sheet.print_title_rows == f"${header_row}:${header_row}"
        assert sheet.freeze_panes == f"{frozen}{header_row + 1}"
    explained = " ".join(
        str(r[0]) for r in workbook["Comparison"].iter_rows(max_row=8, values_only=True)
    )
    assert "the standardised one is conservative" in explained
