"""From retention attempts to the team board: an Attempt (an alert the team worked, or a save
call), the team an alert is credited to, each team's figures for a quarter and the board
itself (build_board). What counts, and how, is set out in qa_app.domain.recognition.board.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from qa_app.domain.recognition.board import (
    FOLLOW_UP_DAYS,
    SMALL_NUMBER,
    Board,
    Quarter,
    QuarterFigures,
    RecognitionError,
    TeamRow,
    default_direction,
    sort_rows,
)

SOURCES = ("alert", "save_call")


@dataclass(frozen=True)
class Attempt:
    """One retention attempt: an alert worked by the team, or a save call."""

    team: str
    customer_id: str
    day: date
    source: str  # "alert" or "save_call"
    credit: float | None = None


def attributed_team(
    alert_team: str, assigned_to: str, teams: Collection[str], agent_teams: Mapping[str, str]
) -> str:
    """The team an alert worked is credited to.

    ``assigned_to`` is free text (an agent or a team): a known team (in ``teams``, the values
    of calls.team) is that team; a known agent (a key of ``agent_teams``, calls.agent mapped to
    their most recent team) is that agent's team; anything else, blank included, falls back
    to ``alert_team``, the team of the call behind the alert. A name that is both a team and
    an agent counts as the team."""
    name = (assigned_to or "").strip()
    if name in teams:
        return name
    if name in agent_teams:
        return agent_teams[name]
    return alert_team


def _quarter_figures(
    attempts: list[Attempt], ended: Mapping[str, date | None], as_of: date
) -> QuarterFigures:
    """Figures for one team's attempts in one quarter (already filtered to it)."""
    by_customer: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        by_customer.setdefault(attempt.customer_id, []).append(attempt)
    figures = QuarterFigures(customers=len(by_customer))
    for customer, own in by_customer.items():
        sources = {a.source for a in own}
        figures.via_alert += "alert" in sources
        figures.via_save_call += "save_call" in sources
        if customer not in ended:
            figures.unknown += 1
            continue
        first = min(a.day for a in own)
        end = ended[customer]
        if end is not None and end <= first:
            figures.ended_before += 1
            continue
        follow_up_end = first + timedelta(days=FOLLOW_UP_DAYS)
        if follow_up_end > as_of:
            figures.in_follow_up += 1
            continue
        figures.followed_up += 1
        credit = sum(a.credit or 0.0 for a in own)
        figures.credit += credit
        if end is None or end > follow_up_end:
            figures.retained += 1
            if not any((a.credit or 0.0) > 0 for a in own):
                figures.retained_without_credit += 1
    return figures


def _notes(row: TeamRow, quarter: Quarter) -> list[str]:
    notes = []
    for figures, which in ((row.current, str(quarter)), (row.previous, str(quarter.previous()))):
        if not figures.followed_up:
            notes.append(f"no customer followed up in {which}: no rate")
        elif figures.followed_up < SMALL_NUMBER:
            notes.append(
                f"only {figures.followed_up} customer(s) followed up in {which}: "
                "its rate can swing a lot by chance (no interval)"
            )
    if row.current.unknown:
        notes.append(f"{row.current.unknown} customer(s) not in the customer list: not counted")
    if row.current.ended_before:
        notes.append(
            f"{row.current.ended_before} customer(s) had already ended on or before the attempt: "
            "not counted"
        )
    return notes


def build_board(
    attempts: Iterable[Attempt],
    ended: Mapping[str, date | None],
    quarter: Quarter,
    as_of: date,
    sort: str = "team",
    direction: str | None = None,
) -> Board:
    """The board for ``quarter`` as known on ``as_of``.

    ``ended`` maps every known customer id to the day they ended (None while active); a
    customer not in it is counted as unknown. Attempts after ``as_of`` are ignored, as are
    attempts with a source other than "alert" or "save_call" (a RecognitionError).
    """
    direction = direction or default_direction(sort)
    previous = quarter.previous()
    grouped: dict[str, dict[Quarter, list[Attempt]]] = {}
    for attempt in attempts:
        if attempt.source not in SOURCES:
            raise RecognitionError(
                f"source: '{attempt.source[:40]}' is not one of {', '.join(SOURCES)}"
            )
        if attempt.day > as_of:
            continue
        for which in (quarter, previous):
            if attempt.day in which:
                grouped.setdefault(attempt.team, {}).setdefault(which, []).append(attempt)
    rows = []
    for team, by_quarter in grouped.items():
        row = TeamRow(
            team,
            _quarter_figures(by_quarter.get(quarter, []), ended, as_of),
            _quarter_figures(by_quarter.get(previous, []), ended, as_of),
        )
        row.notes = _notes(row, quarter)
        rows.append(row)
    return Board(quarter, as_of, sort_rows(rows, sort, direction), sort, direction)
