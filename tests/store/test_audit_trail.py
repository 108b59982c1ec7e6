"""The audit trail read back with `qa-app audit`: every filter, every format."""

from __future__ import annotations

import csv
import io
import json

from sqlmodel import select

from qa_app import db
from qa_app.models import User
from qa_app.store import audit
from tests.views.conftest import PASSWORD


def add_user(cli, email, role="reviewer"):
    result = cli(
        "users", "add", "--email", email, "--name", email.split("@")[0], "--role", role,
        "--password-stdin", input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output


def test_users_added_on_the_command_line_are_in_the_trail(cli, db_url):
    for n in range(3):
        add_user(cli, f"r{n}@example.com")
    result = cli("audit", "--action", "user.added", "--format", "json")
    events = [json.loads(line) for line in result.output.splitlines()]
    assert [e["after"]["email"] for e in events] == [f"r{n}@example.com" for n in range(3)]
    assert {e["actor"] for e in events} == {"system"}
    assert {e["reason"] for e in events} == {"qa-app users add (command line)"}


def test_filters_by_user_action_prefix_object_and_day(cli, db_url, engine):
    add_user(cli, "ana@example.com", "admin")
    add_user(cli, "rita@example.com")
    cli("users", "deactivate", "rita@example.com")
    with db.transaction(engine) as session:
        ana = session.exec(select(User).where(User.email == "ana@example.com")).one()
        change = ({"score": 3}, {"score": 4}, "typo")
        audit.record(session, ana, "review.edited", "review", 42, *change)

    def actions(*args):
        result = cli("audit", *args, "--format", "csv")
        assert result.exit_code == 0, result.output
        return [row["action"] for row in csv.DictReader(io.StringIO(result.output))]

    assert actions("--user", "ANA@example.com") == ["review.edited"]
    assert actions("--action", "user.") == ["user.added", "user.added", "user.deactivated"]
    assert actions("--object", "review:42") == ["review.edited"]
    assert actions("--object", "review:41") == []
    assert actions("--until", "2000-01-01") == []
    assert len(actions("--since", "2000-01-01")) == 4
    refused = cli("audit", "--since", "yesterday")
    assert refused.exit_code == 2 and "--since" in refused.output
    assert "not an ISO 8601" in refused.output
    far = cli("audit", "--until", "9999-12-31")
    assert far.exit_code == 2 and "outside the years 1900 to 2199" in far.output


def test_csv_cells_cannot_run_as_formulas(cli, db_url, engine):
    with db.transaction(engine) as session:
        audit.record(session, None, "call.imported", "call", "=HYPERLINK(1)", reason="+1 cmd")
    rows = list(csv.DictReader(io.StringIO(cli("audit", "--format", "csv").output)))
    assert rows[0]["object_id"] == "'=HYPERLINK(1)" and rows[0]["reason"] == "'+1 cmd"
