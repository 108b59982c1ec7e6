"""The team board (issue 15, "Recognition"): customers retained 90 days after an alert worked
or a save call, per team, against the team's previous quarter; sortable, exportable to XLSX.

Parses the quarter, as-of day and sort; calls qa_app.store.recognition; renders. Sorting by
a column header is an htmx request for the board fragment (recognition/_board.html), which the
full page includes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, Response, render_template, request

from qa_app.domain.dates import DayError, parse_day
from qa_app.domain.recognition.board import (
    ASSOCIATION_NOTE,
    COLUMNS,
    DIRECTIONS,
    FOLLOW_UP_DAYS,
    SMALL_NUMBER,
    Quarter,
    RecognitionError,
    check_as_of,
    default_direction,
    default_quarter,
)
from qa_app.models import Role
from qa_app.web.auth import roles_required
from qa_app.web.database import get_session
from qa_app.web.requests import wants_fragment

bp = Blueprint("recognition", __name__)
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
QUARTERS_OFFERED = 8
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _choices(args) -> tuple[Quarter, date, str, str, list[str]]:
    """The quarter, as-of day, sort column and direction asked for, and what is wrong."""
    problems = []
    today = datetime.now(UTC).date()
    as_of = today
    typed_as_of = (args.get("as_of") or "").strip()
    if typed_as_of:
        try:
            as_of = parse_day(typed_as_of, "as of")
        except DayError as exc:
            problems.append(str(exc))
            as_of = today
        else:
            try:
                check_as_of(as_of, today)
            except RecognitionError as exc:
                problems.append(str(exc))
                as_of = today
    quarter = default_quarter(as_of)
    typed_quarter = (args.get("quarter") or "").strip()
    if typed_quarter:
        try:
            quarter = Quarter.parse(typed_quarter)
        except RecognitionError as exc:
            problems.append(str(exc))
    sort = (args.get("sort") or "").strip() or "team"
    if sort not in COLUMNS:
        problems.append(f"sort: '{sort[:40]}' is not a column; choose one of {', '.join(COLUMNS)}")
        sort = "team"
    direction = (args.get("dir") or "").strip() or default_direction(sort)
    if direction not in DIRECTIONS:
        problems.append(f"dir: '{direction[:40]}' is not asc or desc")
        direction = default_direction(sort)
    return quarter, as_of, sort, direction, problems


def _context() -> tuple[dict, int]:
    from qa_app.store.recognition import team_board

    quarter, as_of, sort, direction, problems = _choices(request.args)
    board = None
    if not problems:
        board = team_board(get_session(), quarter, as_of, sort, direction)
    latest = Quarter.containing(as_of)
    offered = [latest]
    while len(offered) < QUARTERS_OFFERED:
        offered.append(offered[-1].previous())
    context = {
        "board": board,
        "quarter": quarter,
        "as_of": as_of,
        "sort": sort,
        "direction": direction,
        "problems": problems,
        "columns": COLUMNS,
        "quarters": offered,
        "typed_quarter": (request.args.get("quarter") or "").strip(),
        "typed_as_of": (request.args.get("as_of") or "").strip(),
        "follow_up_days": FOLLOW_UP_DAYS,
        "small_number": SMALL_NUMBER,
        "association_note": ASSOCIATION_NOTE,
        "default_direction": default_direction,
        "follow_up_from": as_of - timedelta(days=FOLLOW_UP_DAYS),
    }
    return context, (422 if problems else 200)


@bp.get("/outreach/board")
@roles_required(*READERS)
def index():
    """The team board; an htmx sort request gets the board fragment alone."""
    context, status = _context()
    if wants_fragment():
        return render_template("recognition/_board.html", **context), status
    return render_template("recognition/index.html", **context), status


@bp.get("/outreach/board.xlsx")
@roles_required(*READERS)
def export():
    """The board as shown (quarter, as-of day, sort) as an XLSX download."""
    from qa_app.domain.recognition.sheet import board_xlsx
    from qa_app.store.recognition import team_board

    quarter, as_of, sort, direction, problems = _choices(request.args)
    if problems:
        context, status = _context()
        return render_template("recognition/index.html", **context), status
    board = team_board(get_session(), quarter, as_of, sort, direction)
    filename = f"team-board-{quarter}-as-of-{as_of.isoformat()}.xlsx"
    return Response(
        board_xlsx(board),
        mimetype=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
