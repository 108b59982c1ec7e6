"""The team board on hand-made attempts: the 90-day boundary (89 lost, 90 lost, 91 retained),
follow-up still running, credit against none, a customer with an alert and a save call
counted once, the previous quarter and the change, small-number notes, sorting, and the XLSX
export neutralising a team named like a formula."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pytest
from openpyxl import load_workbook

from qa_app.domain.recognition.attempts import Attempt, attributed_team, build_board
from qa_app.domain.recognition.board import (
    ASSOCIATION_NOTE,
    Quarter,
    RecognitionError,
    check_as_of,
    default_quarter,
)
from qa_app.domain.recognition.sheet import BOARD_SHEET, HEADER, board_xlsx

Q3 = Quarter(2026, 3)
JULY_1 = date(2026, 7, 1)
LATE = date(2027, 1, 31)  # every 2026Q3 attempt followed up


def after(days: int) -> date:
    return JULY_1 + timedelta(days=days)


def harbour():
    """Harbour's 2026Q3 and 2026Q2, and the customers' end days."""
    attempts = [
        Attempt("Harbour", "A", JULY_1, "save_call", 0.0),  # ended on day 89: lost
        Attempt("Harbour", "B", JULY_1, "alert", None),  # ended on day 90: lost
        Attempt("Harbour", "C", JULY_1, "save_call", 20.0),  # ended on day 91: kept, credit
        Attempt("Harbour", "D", date(2026, 7, 10), "alert", None),  # kept without credit,
        Attempt("Harbour", "D", date(2026, 8, 1), "save_call", 0.0),  # ... counted once
        Attempt("Harbour", "E", date(2026, 7, 5), "alert", 15.0),  # kept with credit
        Attempt("Harbour", "F", date(2026, 5, 1), "save_call", None),  # Q2: kept
        Attempt("Harbour", "G", date(2026, 5, 2), "save_call", 30.0),  # Q2: lost
    ]
    ended = {
        "A": after(89),
        "B": after(90),
        "C": after(91),
        "D": None,
        "E": None,
        "F": None,
        "G": date(2026, 5, 10),
    }
    return attempts, ended


def test_retention_boundary_credit_and_previous_quarter():
    attempts, ended = harbour()
    board = build_board(attempts, ended, Q3, LATE)
    (row,) = board.rows
    now, before = row.current, row.previous
    assert (now.customers, now.followed_up, now.in_follow_up) == (5, 5, 0)
    # A (day 89) and B (day 90) ended within the 90 days; C (day 91) was kept.
    assert now.retained == 3
    assert now.retained_without_credit == 1  # D only: C and E were given credit
    assert now.credit == pytest.approx(35.0)
    assert now.credit_per_retained == pytest.approx(35.0 / 3)
    assert now.retention_rate == pytest.approx(0.6)
    # D had an alert and a save call: one customer, reached both ways.
    assert (now.via_alert, now.via_save_call) == (3, 3)
    assert (before.followed_up, before.retained, before.retained_without_credit) == (2, 1, 1)
    assert before.credit_per_retained == pytest.approx(30.0)
    assert row.rate_change == pytest.approx(0.1)
    assert row.retained_change == 2 and row.without_credit_change == 0
    assert row.credit_per_retained_change == pytest.approx(35.0 / 3 - 30.0)
    # Five followed up is enough; two in the previous quarter gets a caution.
    assert row.notes == [
        "only 2 customer(s) followed up in 2026Q2: its rate can swing a lot by chance (no interval)"
    ]
    # Five followed up gets a Wilson interval; two do not, and so neither does the change.
    assert now.retention_ci == pytest.approx((0.2307, 0.8824), abs=1e-4)
    assert before.retention_ci is None and row.rate_change_ci is None
    assert row.as_json()["previous_quarter"]["retention_rate_ci95"] is None
    payload = board.as_json()
    assert payload["note"] == ASSOCIATION_NOTE and "not proof" in ASSOCIATION_NOTE
    assert payload["teams"][0]["quarter"]["credit_per_retained"] == 11.67


def test_only_customers_whose_90_days_have_passed_count():
    attempts = [
        Attempt("Harbour", "P", JULY_1, "save_call", None),  # day 90 is the as-of day
        Attempt("Harbour", "Q", after(1), "save_call", None),  # one day short
        Attempt("Harbour", "R", after(1), "alert", None),  # ended already: still waits
        Attempt("Harbour", "S", after(95), "save_call", None),  # after the as-of day
        Attempt("Harbour", "U", JULY_1, "alert", None),  # not in the customer list
    ]
    ended = {"P": None, "Q": None, "R": after(5), "S": None}
    board = build_board(attempts, ended, Q3, after(90))
    now = board.rows[0].current
    assert (now.customers, now.followed_up, now.retained) == (4, 1, 1)
    assert (now.in_follow_up, now.unknown) == (2, 1)
    assert "1 customer(s) not in the customer list: not counted" in board.rows[0].notes
    assert "no customer followed up in 2026Q2: no rate" in board.rows[0].notes


def test_customer_counted_once_per_team_but_for_each_team():
    attempts = [
        Attempt("Harbour", "K", JULY_1, "alert", 10.0),
        Attempt("Harbour", "K", after(30), "save_call", 5.0),
        Attempt("Summit", "K", after(40), "save_call", None),
    ]
    board = build_board(attempts, {"K": None}, Q3, LATE)
    rows = {r.team: r.current for r in board.rows}
    assert rows["Harbour"].customers == 1 and rows["Harbour"].credit == pytest.approx(15.0)
    assert rows["Harbour"].retained_without_credit == 0
    assert rows["Summit"].customers == 1 and rows["Summit"].retained_without_credit == 1


def test_follow_up_starts_at_the_first_attempt_in_the_quarter():
    # Ended 95 days after the first attempt (July 1), 64 after the second (August 1): kept,
    # and followed up on day 90 after July 1 although August's 90 days are still running.
    attempts = [
        Attempt("Harbour", "K", JULY_1, "alert", None),
        Attempt("Harbour", "K", after(31), "save_call", None),
    ]
    board = build_board(attempts, {"K": after(95)}, Q3, after(90))
    now = board.rows[0].current
    assert (now.followed_up, now.retained, now.in_follow_up) == (1, 1, 0)


def _rows(teams: dict[str, tuple[int, int]]):
    """Attempts giving each team (followed up, retained) in 2026Q3."""
    attempts, ended = [], {}
    for team, (followed, kept) in teams.items():
        for number in range(followed):
            customer = f"{team}-{number}"
            attempts.append(Attempt(team, customer, JULY_1, "save_call", None))
            ended[customer] = None if number < kept else after(10)
    return attempts, ended


def test_sorting_is_stable_with_ties_by_team_and_blanks_last():
    attempts, ended = _rows({"delta": (4, 2), "Alpha": (2, 1), "charlie": (5, 5), "bravo": (3, 0)})
    attempts.append(Attempt("echo", "e-1", date(2026, 5, 1), "save_call", None))  # Q2 only
    ended["e-1"] = None

    def order(sort, direction=None):
        return [r.team for r in build_board(attempts, ended, Q3, LATE, sort, direction).rows]

    assert order("team") == ["Alpha", "bravo", "charlie", "delta", "echo"]
    assert order("team", "desc") == ["echo", "delta", "charlie", "bravo", "Alpha"]
    # Alpha and delta tie at 50%: team order either way; echo has no rate: last either way.
    assert order("retention_rate") == ["charlie", "Alpha", "delta", "bravo", "echo"]
    assert order("retention_rate", "asc") == ["bravo", "Alpha", "delta", "charlie", "echo"]
    assert order("retained", "asc") == ["bravo", "echo", "Alpha", "delta", "charlie"]
    with pytest.raises(RecognitionError, match="sort: 'rate' is not a column"):
        order("rate")
    with pytest.raises(RecognitionError, match="dir: 'up' is not asc or desc"):
        order("team", "up")


def test_quarters():
    assert Quarter.parse("2026q3") == Q3 == Quarter.parse(" 2026-Q3 ")
    assert str(Quarter(2026, 1).previous()) == "2025Q4"
    assert (Q3.first_day, Q3.last_day) == (date(2026, 7, 1), date(2026, 9, 30))
    assert Quarter(2026, 4).last_day == date(2026, 12, 31)
    # On 3 December the latest quarter whose first attempts are followed up is Q3.
    assert default_quarter(date(2026, 12, 3)) == Q3
    assert default_quarter(date(2026, 9, 28)) == Quarter(2026, 2)
    with pytest.raises(RecognitionError, match="quarter: '2026Q5' is not a quarter"):
        Quarter.parse("2026Q5")
    with pytest.raises(RecognitionError, match="quarter: '0001Q1' is not a quarter"):
        Quarter.parse("0001Q1")  # its previous quarter would be in year 0
    with pytest.raises(RecognitionError, match="as of: 0001-02-01 is outside the years"):
        check_as_of(date(1, 2, 1), date(2026, 12, 3))


def test_as_of_after_today_is_refused():
    today = date(2026, 12, 3)
    assert check_as_of(today, today) == today
    with pytest.raises(RecognitionError, match=r"as of: 2026-12-04 is after today \(2026-12-03"):
        check_as_of(date(2026, 12, 4), today)


def test_alert_credited_to_the_assigned_team_or_agent_else_the_call_team():
    teams = {"Harbour", "Summit"}
    agent_teams = {"Ana B.": "Summit", "Harbour": "Summit"}
    # A known team named in assigned_to wins, even when an agent shares the name.
    assert attributed_team("Coast", "Harbour", teams, agent_teams) == "Harbour"
    assert attributed_team("Coast", " Summit ", teams, agent_teams) == "Summit"
    # A known agent: their (most recent) team.
    assert attributed_team("Coast", "Ana B.", teams, agent_teams) == "Summit"
    # Unknown text or nobody assigned: the team of the call behind the alert.
    assert attributed_team("Coast", "someone new", teams, agent_teams) == "Coast"
    assert attributed_team("Coast", "", teams, agent_teams) == "Coast"


def test_customer_who_ended_before_the_attempt_is_left_out_and_noted():
    attempts = [
        Attempt("Harbour", "GONE", JULY_1, "save_call", 10.0),  # ended the day before
        Attempt("Harbour", "SAME", JULY_1, "alert", None),  # ended on the attempt's day
        Attempt("Harbour", "NEXT", JULY_1, "alert", None),  # ended the day after: lost
        Attempt("Harbour", "KEPT", JULY_1, "alert", None),
    ]
    ended = {"GONE": after(-1), "SAME": JULY_1, "NEXT": after(1), "KEPT": None}
    (row,) = build_board(attempts, ended, Q3, LATE).rows
    now = row.current
    assert (now.customers, now.ended_before, now.followed_up, now.retained) == (4, 2, 2, 1)
    assert now.credit == 0.0  # GONE's credit is not a cost of keeping anyone
    assert "2 customer(s) had already ended on or before the attempt: not counted" in row.notes
    assert row.as_json()["quarter"]["ended_before_attempt"] == 2


def _published_board():
    """Team "Newcombe": 2026Q3 as Newcombe (1998b) Table II's 56/70, 2026Q2 as its 48/80;
    team "Wilson": 81 of 263 retained in 2026Q3."""
    attempts, ended = [], {}
    for team, quarter_start, retained, total in (
        ("Newcombe", JULY_1, 56, 70),
        ("Newcombe", date(2026, 4, 1), 48, 80),
        ("Wilson", JULY_1, 81, 263),
    ):
        for i in range(total):
            customer = f"{team}-{quarter_start}-{i}"
            attempts.append(Attempt(team, customer, quarter_start, "alert", None))
            ended[customer] = None if i < retained else quarter_start + timedelta(days=30)
    return build_board(attempts, ended, Q3, LATE, sort="team")


def test_intervals_match_published_values():
    newcombe, wilson = _published_board().rows
    # Newcombe RG (1998) Stat Med 17:857-872, Table I: 81/263, Wilson score 0.2553 to 0.3662.
    assert wilson.current.retention_rate == pytest.approx(81 / 263)
    assert wilson.current.retention_ci == pytest.approx((0.2553, 0.3662), abs=5e-5)
    # Newcombe RG (1998) Stat Med 17:873-890, Table II: 56/70 vs 48/80, method 10 (hybrid
    # score), 0.0524 to 0.3339.
    assert newcombe.rate_change == pytest.approx(56 / 70 - 48 / 80)
    assert newcombe.rate_change_ci == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert wilson.rate_change_ci is None  # no previous quarter


def test_intervals_in_json_and_xlsx_as_numbers():
    board = _published_board()
    newcombe, wilson = board.as_json()["teams"]
    assert wilson["quarter"]["retention_rate_ci95"] == [0.2553, 0.3662]
    assert newcombe["change"]["retention_rate_ci95"] == [0.0524, 0.3339]
    assert newcombe["previous_quarter"]["retention_rate_ci95"] is not None
    sheet = load_workbook(io.BytesIO(board_xlsx(board)))[BOARD_SHEET]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    low = rows["Wilson"][HEADER.index("retention rate 95% low")]
    high = rows["Wilson"][HEADER.index("retention rate 95% high")]
    assert (low.data_type, low.number_format) == ("n", "0.0%")
    assert (low.value, high.value) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    change = rows["Newcombe"]
    assert [
        change[HEADER.index("change: retention rate 95% low")].value,
        change[HEADER.index("change: retention rate 95% high")].value,
    ] == pytest.approx([0.0524, 0.3339], abs=5e-5)
    assert rows["Wilson"][HEADER.index("change: retention rate 95% low")].value is None


def test_xlsx_export_neutralises_formula_team_names():
    hostile = '=HYPERLINK("https://example.com/steal","click")'
    attempts = [
        Attempt(hostile, "K", JULY_1, "save_call", 12.5),
        Attempt("+Plus\x07team", "L", JULY_1, "alert", None),
    ]
    board = build_board(attempts, {"K": None, "L": None}, Q3, LATE)
    book = load_workbook(io.BytesIO(board_xlsx(board)))
    sheet = book[BOARD_SHEET]
    assert [c.value for c in sheet[1]] == list(HEADER)
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(cells) == {"'" + hostile, "'+Plusteam"}
    for row in cells.values():
        assert row[0].data_type == "s"  # text, never a formula
    kept = cells["'" + hostile]
    assert kept[HEADER.index("retained")].value == 1
    assert kept[HEADER.index("credit per retained")].value == pytest.approx(12.5)
    about = [row[0].value for row in book["About"].iter_rows()]
    assert ASSOCIATION_NOTE in about


def test_interval_coverage_by_seeded_simulation():
    """Seeded simulation through build_board: 400 boards of a team whose customers stay with
    probability 0.7 this quarter (40 followed up) and 0.6 the quarter before (40). Both the
    Wilson interval of the rate and the Newcombe interval of the change should cover the true
    value about 95% of the time."""
    rng = np.random.default_rng(20261203)
    runs, n, p_now, p_before = 400, 40, 0.7, 0.6
    rate_hits = change_hits = 0
    for _ in range(runs):
        attempts, ended = [], {}
        for start, p in ((JULY_1, p_now), (date(2026, 4, 1), p_before)):
            kept = rng.random(n) < p
            for i, stays in enumerate(kept):
                customer = f"{start}-{i}"
                attempts.append(Attempt("Harbour", customer, start, "alert", None))
                ended[customer] = None if stays else start + timedelta(days=45)
        (row,) = build_board(attempts, ended, Q3, LATE).rows
        low, high = row.current.retention_ci
        rate_hits += low <= p_now <= high
        low, high = row.rate_change_ci
        change_hits += low <= p_now - p_before <= high
    # With this seed: Wilson 94.0%, Newcombe 95.5% of 400; the band allows for chance at 400.
    assert 0.92 <= rate_hits / runs <= 0.98
    assert 0.92 <= change_hits / runs <= 0.98
