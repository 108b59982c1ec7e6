"""The "Comparison" sheet of the flag spreadsheet, with a native Excel bar chart."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.chart import BarChart, Reference

from qa_app.domain.flag_export import header_cells
from qa_app.domain.spreadsheet_safety import protect_formula

HEADER = (
    "group",
    "flag",
    "n with",
    "with",
    "weighted with",
    "n without",
    "without",
    "weighted without",
    "difference",
    "weighted difference",
    "95% low",
    "95% high",
    "weighted 95% low",
    "weighted 95% high",
    "too small (<30 a side)",
)


def _row(by_value: str, group: dict) -> list:
    ci = group["ci"] or [None, None]
    weighted_ci = group["weighted_ci"] or [None, None]
    return [
        protect_formula(by_value),
        protect_formula(group["flag"]),
        group["with"]["n"],
        group["with"]["value"],
        group["with"]["weighted_value"],
        group["without"]["n"],
        group["without"]["value"],
        group["without"]["weighted_value"],
        group["difference"],
        group["weighted_difference"],
        *ci,
        *weighted_ci,
        group["too_small"],
    ]


def add_comparison_sheet(
    workbook, outcome: str, by: str, groups: Sequence[dict], weighting: str
) -> None:
    """Write the comparison table and chart the weighted values with and without each flag."""
    sheet = workbook.create_sheet("Comparison")
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 24
    sheet.append([f"Outcome: {outcome} · by {by} · weighting: {weighting}"])
    sheet.append(header_cells(sheet, HEADER))
    for group in groups:
        sheet.append(_row(group[by], group))
    if not groups:
        return
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{outcome}: with vs without each flag (weighted to the mix)"
    chart.y_axis.title = outcome
    chart.height, chart.width = 9, 24
    last = len(groups) + 2
    data = Reference(sheet, min_col=5, max_col=5, min_row=2, max_row=last)
    data_without = Reference(sheet, min_col=8, max_col=8, min_row=2, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.add_data(data_without, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, max_col=2, min_row=3, max_row=last))
    sheet.add_chart(chart, f"A{last + 3}")
