"""A calibration session's report workbook: Summary, Ratings, Per call, Per rater.

QA leads print it for the calibration meeting: every sheet prints landscape, one page
wide, with its header row on every page (``sheet_layout``), and numbers keep their
values with a format for reading: coefficients 0.000, rates 0.0%, means 0.00.

The Summary carries what the dashboard says about its numbers, because the printed report
is read without the dashboard beside it: each interval's warning next to it (an
interval from few calls covers less than 95%), what the QA − panel gap's interval is
about (these raters), and the mixed model's estimate for raters in general.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from qa_app.domain.calibration.sessions import MIXED_MIN_CALLS, MIXED_MIN_RATERS
from qa_app.domain.files.sheet_layout import COEFFICIENT, MEAN, RATE, print_setup
from qa_app.domain.files.spreadsheet_safety import protect_formula
from qa_app.domain.flags.export import header_cells
from qa_app.domain.rubrics.definitions import Rubric

SUMMARY_HEADER = (
    "group",
    "dimension",
    "alpha",
    "reason",
    "ci_low",
    "ci_high",
    "ci_warning",
    "q_below_0.667",
    "q_below_0.800",
    "ac2",
    "percent_agreement",
    "within_one_agreement",
    "units",
    "pairable_units",
    "raters",
)


# Number formats of the Summary's agreement table, by column (see SUMMARY_HEADER);
# q_below is a probability, shown like the coefficients it is about.
SUMMARY_FORMATS = (
    None,
    None,
    COEFFICIENT,
    None,
    COEFFICIENT,
    COEFFICIENT,
    None,
    *[COEFFICIENT] * 3,
    RATE,
    RATE,
)
# Column widths: the reason and the interval's warning are sentences.
SUMMARY_WIDTHS = (16, 16, 8, 40, 8, 8, 40)
GAP_HEADER = (
    "QA − panel gap",
    "dimension",
    "mean",
    "",
    "ci_low",
    "ci_high",
    "calls",
    "mixed_mean",
    "mixed_ci_low",
    "mixed_ci_high",
    "mixed_warning",
)
GAP_FORMATS = (None, None, MEAN, None, MEAN, MEAN, None, MEAN, MEAN, MEAN)
GAP_METHOD = "Student's t over calls, 95%"
MIXED_METHOD = (
    "score ~ role + (1 | call) + (1 | rater), crossed random effects (statsmodels MixedLM, "
    "REML), 95% interval with t on raters − 2 df: treats the raters as a sample of QA "
    "reviewers and customers in general"
)
MIXED_MISSING = (
    f"not estimated: needs {MIXED_MIN_RATERS} raters per role and {MIXED_MIN_CALLS} calls"
)


def _cell(sheet, value, number_format: str | None = None):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        return protect_formula(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if number_format is None or value is None or isinstance(value, bool):
        return value  # booleans stay TRUE/FALSE, never formatted as 1.000
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _append(sheet, row: Sequence, formats: Sequence[str | None] = ()) -> None:
    """Append a row; numbers in a column with a format get it."""
    padded = [*formats, *[None] * (len(row) - len(formats))]
    sheet.append([_cell(sheet, v, f) for v, f in zip(row, padded, strict=False)])


def _sheet(
    workbook,
    title: str,
    header: Sequence[str],
    rows,
    widths: Sequence[int] = (),
    formats: Sequence[str | None] = (),
):
    """A sheet with a header row that prints landscape, one page wide, header on each page.

    Columns without a width are as wide as their name, so the header reads in print.
    """
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    for index, name in enumerate(header, start=1):
        width = widths[index - 1] if index <= len(widths) else max(8, len(str(name)) + 2)
        sheet.column_dimensions[get_column_letter(index)].width = width
    print_setup(sheet)  # before the first row: a write-only sheet writes its setup then
    sheet.append(header_cells(sheet, header))
    for row in rows:
        _append(sheet, row, formats)
    return sheet


def _score(value):
    """A per-call score as a number; "N/A" stays as text, "—" (not scored) is blank."""
    if isinstance(value, str):
        if value == "—":
            return None
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    return value


def summary_rows(numbers: Mapping, rubric: Rubric) -> list[list]:
    """The Summary sheet's rows: the agreement table, a blank row, the QA − panel gaps."""
    return [*agreement_rows(numbers), [], *gap_rows(numbers, rubric)]


def agreement_rows(numbers: Mapping) -> list[list]:
    rows = []
    for group, report in numbers["agreement"].items():
        if report is None:
            continue
        for result in [*report.dimensions.values(), report.overall]:
            interval = result.interval
            rows.append(
                [
                    group,
                    result.name,
                    result.alpha,
                    result.reason,
                    interval.low if interval else None,
                    interval.high if interval else None,
                    interval.warning if interval else None,
                    interval.q_below["0.667"] if interval else None,
                    interval.q_below["0.800"] if interval else None,
                    result.ac2,
                    result.percent_agreement,
                    result.within_one_agreement,
                    result.units,
                    result.pairable_units,
                    result.raters,
                ]
            )
    return rows


def gap_rows(numbers: Mapping, rubric: Rubric) -> list[list]:
    """The gap per dimension with the mixed model's estimate, then what each is about."""
    rows = [list(GAP_HEADER)]
    scope = None
    for dimension in rubric.dimensions:
        gap = numbers["gaps"][dimension.id]
        scope = scope or gap.scope
        mixed = gap.mixed
        rows.append(
            [
                "",
                dimension.name,
                gap.mean,
                "",
                gap.low,
                gap.high,
                gap.calls,
                *(
                    (mixed.mean, mixed.low, mixed.high, mixed.warning)
                    if mixed
                    else (None, None, None, MIXED_MISSING)
                ),
            ]
        )
    if scope:
        rows.append(["", "interval", f"{GAP_METHOD}: {scope}"])
    rows.append(["", "mixed model", MIXED_METHOD])
    return rows


def write_session_report(
    target,
    session_name: str,
    rubric: Rubric,
    numbers: Mapping,
    ratings: Sequence[Mapping],
    ratings_columns: Sequence[str],
    comments: Mapping[str, list[tuple[str, str]]],
    consensus: Mapping[tuple[str, str], int | None],
    consensus_notes: Mapping[str, str] | None = None,
) -> None:
    """Write the report to ``target`` (a path or binary stream)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    summary = _sheet(
        workbook,
        "Summary",
        SUMMARY_HEADER,
        agreement_rows(numbers),
        SUMMARY_WIDTHS,
        SUMMARY_FORMATS,
    )
    summary.append([])
    for row in gap_rows(numbers, rubric):
        _append(summary, row, GAP_FORMATS)
    _sheet(
        workbook,
        "Ratings",
        ratings_columns,
        ([row[c] for c in ratings_columns] for row in ratings),
        (20, 12, 20, 7, 16),
    )
    dimension_ids = [d.id for d in rubric.dimensions]
    per_call = []
    for call in numbers["calls"]:
        agreed = [consensus.get((call["call_id"], d)) for d in dimension_ids]
        for participant, scores in call["scores"].items():
            per_call.append(
                [
                    call["call_id"],
                    call["disagreement"],
                    participant,
                    *(_score(s) for s in scores),
                    *agreed,
                    " | ".join(
                        text
                        for name, text in comments.get(call["call_id"], [])
                        if name == participant
                    ),
                    (consensus_notes or {}).get(call["call_id"], ""),
                ]
            )
    _sheet(
        workbook,
        "Per call",
        [
            "call_id",
            "disagreement",
            "participant",
            *dimension_ids,
            *(f"consensus_{d}" for d in dimension_ids),
            "comment",
            "consensus_note",
        ],
        per_call,
        (12, 12, 20),
        (None, MEAN),
    )
    _sheet(
        workbook,
        "Per rater",
        [
            "participant",
            "role",
            "bias",
            "effect_of_removing",
            "distance_from_consensus",
            "alignment_percent",
        ],
        (
            [
                r["participant"],
                r["role"],
                r["bias"],
                r["effect_of_removing"],
                r["distance_from_consensus"],
                # A percentage (0-100) stored as the fraction a 0.0% format shows.
                None if r["alignment"] is None else r["alignment"] / 100,
            ]
            for r in numbers["raters"]
        ),
        (20,),
        (None, None, MEAN, COEFFICIENT, MEAN, RATE),
    )
    about = workbook.create_sheet("About")
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 100
    print_setup(about, header_rows=0)  # a list of facts: no header row to repeat
    about.append(["session", protect_formula(session_name)])
    about.append(["rubric", protect_formula(rubric.key)])
    about.append(
        [
            "statistics",
            protect_formula(
                "Krippendorff's alpha (ordinal) with a jackknife t interval over calls and q "
                "from 1,000 resampled sets of calls (an interval with a ci_warning covers less "
                "than 95%); AC2 with quadratic "
                f"weights over {numbers.get('category_set') or 'the values observed'}; "
                "see the guide (docs/statistics.md)"
            ),
        ]
    )
    workbook.save(target)
