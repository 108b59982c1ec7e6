"""`qa-app outreach board` on a real database (SQLite and PostgreSQL): which alerts and calls
count as retention attempts (closed alerts in which someone spoke with the customer; calls with
a customer and `saved` = 1), their credit (alert credit, `credit_amount` outcome), the JSON,
sorting, the XLSX file, and bad choices refused with a message."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from qa_app import db
from qa_app.models import Call, Customer, Outcome, OutreachAlert

HOSTILE = '=HYPERLINK("https://example.com","<b>x</b>")'
AS_OF = "2026-01-31"


def moment(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=23, minute=30, tzinfo=UTC)


def add_world(engine) -> None:
    """Harbour: three save calls in 2025Q3 (one customer lost), a saved=0 call; Summit: an
    alert and a save call for one customer, an open alert and a no-contact one (not counted),
    a save call in 2025Q2; a team named like a formula."""
    ended = {"K-LOST": "2025-08-15", "K-PREV": None, "K-KEPT": None, "K-CREDIT": None}
    # call id, team, customer, started, saved, credit
    calls = [
        ("S-1", "Harbour", "K-KEPT", "2025-07-03", 1, 0.0),
        ("S-2", "Harbour", "K-LOST", "2025-07-04", 1, 10.0),
        ("S-3", "Harbour", "K-CREDIT", "2025-09-30", 1, 25.0),  # late in the day, UTC
        ("S-4", "Harbour", "K-NOPE", "2025-07-05", 0, 40.0),  # not saved: no attempt
        ("S-5", "Summit", "K-PREV", "2025-05-02", 1, None),
        ("S-6", "Summit", "K-BOTH", "2025-08-01", 1, None),
        ("S-7", HOSTILE, "K-EVIL", "2025-08-02", 1, None),
        ("S-8", "Harbour", None, "2025-08-03", 1, 5.0),  # no customer: no attempt
    ]
    with db.transaction(engine) as session:
        for customer in ("K-LOST", "K-PREV", "K-KEPT", "K-CREDIT", "K-NOPE", "K-BOTH", "K-EVIL"):
            end = ended.get(customer)
            session.add(
                Customer(
                    customer_id=customer,
                    onboarded_at=moment("2025-01-01"),
                    ended_at=moment(end) if end else None,
                )
            )
        for call_id, team, customer, started, saved, credit in calls:
            call = Call(
                call_id=call_id, agent="Ana B.", team=team, customer_id=customer,
                started_at=moment(started),
            )  # fmt: skip
            session.add(call)
            session.flush()
            session.add(Outcome(call_pk=call.id, name="saved", kind="boolean", value=saved))
            if credit is not None:
                session.add(
                    Outcome(call_pk=call.id, name="credit_amount", kind="number", value=credit)
                )
        for customer, day, status, pathway, credit in (
            ("K-BOTH", date(2025, 7, 10), "closed", "apology_and_fix", 12.0),
            ("K-OPEN", date(2025, 7, 11), "open", None, None),
            ("K-NOC", date(2025, 7, 12), "closed", "no_contact", 50.0),
        ):
            session.add(
                OutreachAlert(
                    customer_id=customer, day=day, team="Summit", rule="let down",
                    rules_key="outreach@1", priority=1, status=status, pathway=pathway,
                    credit=credit,
                )
            )  # fmt: skip


def test_board_json_on_both_backends(engine, cli, tmp_path):
    add_world(engine)
    result = cli(
        "outreach", "board", "--quarter", "2025Q3", "--as-of", AS_OF,
        "--sort", "retained", "--format", "json", "--xlsx", tmp_path / "board.xlsx",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    board = json.loads(result.output)
    assert (board["quarter"], board["previous_quarter"], board["as_of"]) == (
        "2025Q3",
        "2025Q2",
        AS_OF,
    )
    assert "not proof" in board["note"]
    # Most retained first; the 1-1 tie between Summit and the formula team in team order.
    assert [t["team"] for t in board["teams"]] == ["Harbour", HOSTILE, "Summit"]
    harbour, _hostile, summit = board["teams"]
    assert harbour["quarter"] == {
        "customers": 3,
        "in_follow_up": 0,
        "unknown_customer": 0,
        "ended_before_attempt": 0,
        "followed_up": 3,
        "retained": 2,
        "retained_without_credit": 1,
        "retention_rate": 0.6667,
        "retention_rate_ci95": None,  # three followed up: too few for an interval
        "credit": 35.0,
        "credit_per_retained": 17.5,
        "via_alert": 0,
        "via_save_call": 3,
    }
    # Summit's customer had a worked alert and a save call: one customer, the alert's credit.
    now = summit["quarter"]
    assert (now["customers"], now["retained"], now["credit"]) == (1, 1, 12.0)
    assert (now["via_alert"], now["via_save_call"]) == (1, 1)
    assert summit["previous_quarter"]["retained"] == 1
    assert summit["change"] == {
        "retained": 0,
        "retained_without_credit": -1,
        "retention_rate": 0.0,
        "retention_rate_ci95": None,
        "credit_per_retained": 12.0,
    }
    sheet = load_workbook(tmp_path / "board.xlsx")["Team board"]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == [
        "Harbour",
        "'" + HOSTILE,
        "Summit",
    ]


def test_board_table_and_bad_choices(engine, cli):
    add_world(engine)
    table = cli("outreach", "board", "--quarter", "2025Q3", "--as-of", "2025-10-05")
    assert table.exit_code == 0, table.output
    assert "Team board 2025Q3 (against 2025Q2), as of 2025-10-05" in table.output
    # On 5 October only the early July customers are followed up; S-3 is still in follow-up.
    harbour = next(line for line in table.output.splitlines() if line.startswith("Harbour"))
    assert harbour.split()[1:4] == ["3", "1", "1/2"]
    # Two followed up: no interval, and the table says why.
    assert "95% CI" in table.output and "none with fewer than 5 followed-up" in table.output
    assert "not proof" in table.output
    bad = cli("outreach", "board", "--quarter", "2025Q9")
    assert bad.exit_code != 0 and "quarter: '2025Q9' is not a quarter" in bad.output
    ancient = cli("outreach", "board", "--as-of", "0001-01-01")
    assert ancient.exit_code != 0 and "'--as-of': 0001-01-01 is outside the years" in ancient.output
    # A day still to come would count customers as retained before their 90 days are up.
    future = cli("outreach", "board", "--as-of", "2199-01-01")
    assert future.exit_code == 2, future.output  # a usage error
    assert "as of: 2199-01-01 is after today" in future.output
    bad_sort = cli("outreach", "board", "--sort", "fame")
    assert bad_sort.exit_code != 0 and "--sort: 'fame' is not a column" in bad_sort.output


def test_alerts_count_for_the_team_that_worked_them(engine, cli):
    """assigned_to naming a team credits that team; naming an agent, the agent's team on their
    latest call by the as-of day; anything else, the team of the call behind the alert. A
    customer who had ended before the alert is left out and counted."""
    with db.transaction(engine) as session:
        # Bo C. moved from Coast to Delta; a later move (after the as-of day) does not count.
        for call_id, agent, team, started in (
            ("T-1", "Bo C.", "Coast", "2025-06-01"),
            ("T-2", "Bo C.", "Delta", "2025-08-01"),
            ("T-3", "Bo C.", "Later", "2026-03-01"),
        ):
            session.add(Call(call_id=call_id, agent=agent, team=team, started_at=moment(started)))
        for customer, assigned, ended in (
            ("K-1", "Coast", None),
            ("K-2", "Bo C.", None),
            ("K-3", "the night shift", None),
            ("K-4", "", "2025-10-01"),
            ("K-5", "Coast", "2025-07-10"),  # ended on the alert's day: not at risk
        ):
            session.add(
                Customer(
                    customer_id=customer,
                    onboarded_at=moment("2024-01-01"),
                    ended_at=moment(ended) if ended else None,
                )
            )
            session.add(
                OutreachAlert(
                    customer_id=customer, day=date(2025, 7, 10), team="Summit",
                    rule="let down", rules_key="outreach@1", priority=1, status="closed",
                    pathway="apology_and_fix", assigned_to=assigned,
                )
            )  # fmt: skip
    result = cli(
        "outreach", "board", "--quarter", "2025Q3", "--as-of", AS_OF, "--format", "json"
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    teams = {t["team"]: t for t in json.loads(result.output)["teams"]}
    assert set(teams) == {"Coast", "Delta", "Summit"}
    coast, delta, summit = teams["Coast"]["quarter"], teams["Delta"]["quarter"], teams["Summit"]
    assert (coast["customers"], coast["ended_before_attempt"], coast["followed_up"]) == (2, 1, 1)
    assert coast["retained"] == 1
    assert (
        "1 customer(s) had already ended on or before the attempt: not counted"
        in (teams["Coast"]["notes"])
    )
    assert (delta["customers"], delta["retained"]) == (1, 1)
    # The night shift is neither a team nor an agent; K-4 was not assigned: Summit, the team
    # of the calls behind them. K-4 ended within its 90 days: lost.
    assert (summit["quarter"]["customers"], summit["quarter"]["retained"]) == (2, 1)
