"""The team board as an XLSX workbook (openpyxl), with the flag spreadsheet's safety: every
text cell goes through qa_app.domain.files.spreadsheet_safety.protect_formula, so a team named
``=HYPERLINK(...)`` is shown as text, never evaluated.

Sheet "Team board": one row per team in the board's order, this quarter, the previous quarter
and the change, with 95% intervals as number cells; sheet "About": what the numbers mean, the
association caveat, the as-of date.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from qa_app.domain.files.sheet_layout import print_setup
from qa_app.domain.files.spreadsheet_safety import protect_formula
from qa_app.domain.flags.export import header_cells
from qa_app.domain.recognition.board import ASSOCIATION_NOTE, FOLLOW_UP_DAYS, SMALL_NUMBER, Board

BOARD_SHEET = "Team board"
HEADER = (
    "team",
    "customers",
    "still in follow-up",
    "not in customer list",
    "ended before attempt",
    "followed up",
    "retained",
    "retention rate",
    "retention rate 95% low",
    "retention rate 95% high",
    "retained without credit",
    "credit",
    "credit per retained",
    "previous: followed up",
    "previous: retained",
    "previous: retention rate",
    "previous: retention rate 95% low",
    "previous: retention rate 95% high",
    "previous: retained without credit",
    "previous: credit per retained",
    "change: retention rate",
    "change: retention rate 95% low",
    "change: retention rate 95% high",
    "change: retained",
    "change: retained without credit",
    "change: credit per retained",
    "notes",
)
PERCENT, MONEY = "0.0%", "#,##0.00"


def _text(value: str) -> str:
    """Text a cell can hold (openpyxl refuses control characters) and cannot run as a formula."""
    return protect_formula(ILLEGAL_CHARACTERS_RE.sub("", value))


def _number(sheet, value, number_format: str):
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _bounds(sheet, pair: tuple[float, float] | None) -> list:
    """The two ends of a 95% interval as percent cells (blank when there is none)."""
    if pair is None:
        return [None, None]
    return [_number(sheet, pair[0], PERCENT), _number(sheet, pair[1], PERCENT)]


def board_xlsx(board: Board) -> bytes:
    """The board as XLSX bytes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(BOARD_SHEET)
    print_setup(sheet)
    sheet.append(header_cells(sheet, HEADER))
    for row in board.rows:
        now, before = row.current, row.previous
        sheet.append(
            [
                _text(row.team),
                now.customers,
                now.in_follow_up,
                now.unknown,
                now.ended_before,
                now.followed_up,
                now.retained,
                _number(sheet, now.retention_rate, PERCENT),
                *_bounds(sheet, now.retention_ci),
                now.retained_without_credit,
                _number(sheet, now.credit, MONEY),
                _number(sheet, now.credit_per_retained, MONEY),
                before.followed_up,
                before.retained,
                _number(sheet, before.retention_rate, PERCENT),
                *_bounds(sheet, before.retention_ci),
                before.retained_without_credit,
                _number(sheet, before.credit_per_retained, MONEY),
                _number(sheet, row.rate_change, PERCENT),
                *_bounds(sheet, row.rate_change_ci),
                row.retained_change,
                row.without_credit_change,
                _number(sheet, row.credit_per_retained_change, MONEY),
                _text("; ".join(row.notes)),
            ]
        )
    about = workbook.create_sheet("About")
    for line in (
        f"Team board {board.quarter} against {board.previous_quarter}, as of "
        f"{board.as_of.isoformat()}, sorted by {board.sort} ({board.direction}).",
        "Customers: those with an alert worked or a save call by the team in the quarter, "
        "counted once.",
        f"Retained: not ended within {FOLLOW_UP_DAYS} days of their first attempt in the "
        f"quarter; only customers whose {FOLLOW_UP_DAYS} days have passed are followed up.",
        "Alerts count for the team named in their assigned_to, else the team of the agent "
        "named there (their most recent call), else the team of the call behind the alert.",
        "Credit: alert credit recorded at closing plus the save call's credit_amount outcome, "
        "for the followed-up customers; credit per retained = credit / retained.",
        "Ended before attempt: customers who had already ended on or before their first "
        "attempt in the quarter; not at risk, so counted neither as retained nor as lost.",
        "95% low / high: the Wilson 95% interval of a retention rate, and the Newcombe (hybrid "
        "score) 95% interval of the change against the previous quarter (statsmodels).",
        f"Rows with fewer than {SMALL_NUMBER} followed-up customers carry a note and no "
        "interval: their rate can swing a lot by chance.",
        ASSOCIATION_NOTE,
    ):
        about.append([_text(line)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
