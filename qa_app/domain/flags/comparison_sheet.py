"""The "Comparison" sheets of the flag spreadsheet: by save script with a native Excel
bar chart, and "Comparison by segment" (agent tenure, channel, interaction type).

Both read the report that ``qa-app outcomes compare --format json`` prints, so the
spreadsheet, the coach page and the CLI show the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

from qa_app.domain.comparison_statistics import ASSOCIATION_LABEL
from qa_app.domain.files.sheet_layout import print_setup
from qa_app.domain.files.spreadsheet_safety import protect_formula
from qa_app.domain.flags.comparison_groups import SMALL_CELL
from qa_app.domain.flags.export import header_cells

SEGMENT_SHEET = "Comparison by segment"
VALUE_COLUMNS = (
    "n with",
    "effective n with",
    "with",
    "weighted with",
    "standardised with",
    "n without",
    "effective n without",
    "without",
    "weighted without",
    "standardised without",
    # Each difference is followed by its own interval.
    "difference",
    "95% low",
    "95% high",
    "weighted difference",
    "weighted 95% low",
    "weighted 95% high",
    "standardised difference",
    "standardised 95% low",
    "standardised 95% high",
    "adjusted difference",
    "adjusted 95% low",
    "adjusted 95% high",
    f"too small (effective n <{SMALL_CELL} a side)",
    "warnings",
)
# Columns of the with/without values on the Comparison sheet (1-based), for the chart.
WEIGHTED_WITH_COLUMN, WEIGHTED_WITHOUT_COLUMN = 6, 11
CREDIT_COLUMNS = (
    "credit per save with",
    "weighted credit per save with",
    "credit per save without",
    "weighted credit per save without",
)
CUT_LABELS = {
    "agent_tenure": "agent tenure",
    "channel": "channel",
    "interaction_type": "interaction type",
}


def has_credit(groups: Sequence[dict]) -> bool:
    """Whether credit and saved outcomes were imported, so credit per save can be shown."""
    return any("credit_per_save" in g["with"] or "credit_per_save" in g["without"] for g in groups)


def _cell(sheet, value, number_format: str | None = None):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        return protect_formula(value)
    if number_format is None or value is None or isinstance(value, bool):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _values(sheet, group: dict, value_format: str, credit: bool) -> list:
    row = []
    for side in (group["with"], group["without"]):
        row += [side["n"], _cell(sheet, side.get("effective_n"), "0.0")]
        row += [
            _cell(sheet, side.get(key), value_format)
            for key in ("value", "weighted_value", "standardized_value")
        ]
    for prefix in ("", "weighted_", "standardized_", "adjusted_"):
        key = f"{prefix}difference" if prefix else "difference"
        ci = group.get(f"{prefix}ci" if prefix else "ci") or [None, None]
        row += [_cell(sheet, v, value_format) for v in (group.get(key), *ci)]
    row.append(group["too_small"])
    row.append(_cell(sheet, " ".join(group.get("warnings", []))))
    if credit:
        for side in ("with", "without"):
            for key in ("credit_per_save", "weighted_credit_per_save"):
                row.append(_cell(sheet, group[side].get(key), "#,##0.00"))
    return row


def _explanations(report: dict, credit: bool) -> list[str]:
    value_is = (
        "rate: the share of calls with the outcome"
        if report["value_is"] == "rate"
        else "mean of the outcome"
    )
    weighting = report.get("weighting_note") or "unweighted"
    methods = report.get("methods", {})
    lines = [
        ASSOCIATION_LABEL,
        f"Outcome: {report['outcome']} ({value_is}) · by {report['by']} · rubric "
        f"{report['rubric']} · weighted columns: {weighting}.",
        "With / without: calls where the flag is TRUE / FALSE; calls where it is blank (a "
        "dimension it reads is N/A) are in neither.",
        "Difference: crude, the reviewed calls as they are. Weighted: back to the "
        "population (the weighting named above); the population's difference, which still "
        "carries any difference in interaction types between the two sides. Standardised: "
        "the difference within each interaction type, averaged with the types' shares of the "
        "mix (types with calls on one side only are left out, see warnings). Adjusted: the "
        "flag's coefficient in a regression on interaction type, agent tenure and channel "
        "(main comparison only).",
        f"Intervals, 95%, each after its own difference: {methods.get('ci', '')}; weighted: "
        f"{methods.get('weighted_ci', '')}; standardised: "
        f"{methods.get('standardized_ci', '')} (the standardised one is conservative: wider "
        f"than it need be); adjusted: {methods.get('adjusted', '')}. Effective n (Kish) of "
        f"each side beside its weighted figure; under {SMALL_CELL} on a side: too small to "
        "read.",
    ]
    if credit:
        lines.append(
            "Credit per save: all credit given to the calls on that side divided by the "
            "customers saved there — what each save cost."
        )
    lines.append(
        f"The same comparison by agent tenure, channel and interaction type: sheet "
        f"'{SEGMENT_SHEET}'."
    )
    return lines


def _chart(sheet, report: dict, header_row: int, last_row: int, value_format: str) -> None:
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "col"
    chart.title = f"{report['outcome']}: with vs without each flag (weighted)"
    chart.y_axis.title = report["outcome"]
    chart.y_axis.number_format = value_format
    # openpyxl 3.1 leaves the axes' <c:delete> unset, which Excel reads as "hidden".
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.height, chart.width = 9, 24
    for column in (WEIGHTED_WITH_COLUMN, WEIGHTED_WITHOUT_COLUMN):
        data = Reference(
            sheet, min_col=column, max_col=column, min_row=header_row, max_row=last_row
        )
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(
        Reference(sheet, min_col=1, max_col=2, min_row=header_row + 1, max_row=last_row)
    )
    sheet.add_chart(chart, f"A{last_row + 3}")


def _print_setup(sheet, header_row: int) -> None:
    """The shared print setup (``sheet_layout.print_setup``: landscape, one page wide,
    gridlines, narrow margins, as every workbook prints), with this sheet's own header.

    The header is not row 1 here: explanation lines come first, and repeating them on
    every page would crowd out the table, so only the header row repeats. The first
    columns (group and flag) stay frozen, as the table is wider than the screen.
    """
    print_setup(sheet, header_rows=0)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.freeze_panes = f"C{header_row + 1}"


def add_comparison_sheets(workbook, report: dict) -> None:
    """Write the Comparison sheet (with its chart) and the Comparison by segment sheet.

    ``report`` has the shape of :func:`qa_app.store.flags.exports.compare_outcomes`.
    """
    from openpyxl.utils import get_column_letter

    groups, by = report["groups"], report["by"]
    credit = has_credit(groups) or any(has_credit(c["groups"]) for c in report["equity"])
    value_format = "0.0%" if report["value_is"] == "rate" else "0.00"
    values_header = list(VALUE_COLUMNS) + (list(CREDIT_COLUMNS) if credit else [])

    sheet = workbook.create_sheet("Comparison")
    for letter, width in (("A", 22), ("B", 24)):
        sheet.column_dimensions[letter].width = width
    explanations = _explanations(report, credit)
    header_row = len(explanations) + 2
    # A write-only sheet writes its properties and views with its first row: set them first.
    _print_setup(sheet, header_row)
    for line in explanations:
        sheet.append([line])
    sheet.append([])
    sheet.append(header_cells(sheet, [by, "flag", *values_header]))
    for group in groups:
        sheet.append(
            [_cell(sheet, group[by]), _cell(sheet, group["flag"])]
            + _values(sheet, group, value_format, credit)
        )
    if groups:
        _chart(sheet, report, header_row, header_row + len(groups), value_format)

    segments = workbook.create_sheet(SEGMENT_SHEET)
    for letter, width in (("A", 18), ("B", 24), ("C", 22), ("D", 24)):
        segments.column_dimensions[letter].width = width
    _print_setup(segments, 2)
    segments.freeze_panes = "E3"
    segments.append([ASSOCIATION_LABEL])
    segments.append(header_cells(segments, ["cut", "segment", by, "flag", *values_header]))
    rows = 0
    for cut in report["equity"]:
        for group in cut["groups"]:
            segments.append(
                [
                    CUT_LABELS.get(cut["cut"], cut["cut"]),
                    _cell(segments, cut["segment"]),
                    _cell(segments, group[by]),
                    _cell(segments, group["flag"]),
                ]
                + _values(segments, group, value_format, credit)
            )
            rows += 1
    last_column = 4 + len(values_header)
    segments.auto_filter.ref = f"A2:{get_column_letter(last_column)}{rows + 2}"
