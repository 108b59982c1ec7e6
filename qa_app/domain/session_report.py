"""A calibration session's report workbook: Summary, Ratings, Per call, Per rater."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from qa_app.domain.flag_export import header_cells
from qa_app.domain.rubrics import Rubric
from qa_app.domain.spreadsheet_safety import protect_formula

SUMMARY_HEADER = (
    "group",
    "dimension",
    "alpha",
    "reason",
    "ci_low",
    "ci_high",
    "q_below_0.667",
    "q_below_0.800",
    "ac2",
    "percent_agreement",
    "within_one_agreement",
    "units",
    "pairable_units",
    "raters",
)


def _cell(value):
    if isinstance(value, str):
        return protect_formula(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def _sheet(workbook, title: str, header: Sequence[str], rows, widths: Sequence[int] = ()):
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(header_cells(sheet, header))
    for row in rows:
        sheet.append([_cell(v) for v in row])


def summary_rows(numbers: Mapping, rubric: Rubric) -> list[list]:
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
    rows.append([])
    rows.append(["QA − panel gap", "dimension", "mean", "", "ci_low", "ci_high", "calls"])
    for dimension in rubric.dimensions:
        gap = numbers["gaps"][dimension.id]
        rows.append(["", dimension.name, gap.mean, "", gap.low, gap.high, gap.calls])
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
    workbook = Workbook(write_only=True)
    _sheet(workbook, "Summary", SUMMARY_HEADER, summary_rows(numbers, rubric), (16, 16, 8, 40))
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
                    *scores,
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
                r["alignment"],
            ]
            for r in numbers["raters"]
        ),
        (20,),
    )
    about = workbook.create_sheet("About")
    about.append(["session", protect_formula(session_name)])
    about.append(["rubric", rubric.key])
    about.append(
        [
            "statistics",
            "Krippendorff's alpha (ordinal) with a 1,000-resample bootstrap "
            "of calls; AC2 with quadratic weights; see the README",
        ]
    )
    workbook.save(target)
