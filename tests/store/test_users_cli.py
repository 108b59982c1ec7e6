"""`qa-app users list`, `users deactivate` and `users activate`, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

from sqlmodel import Session, select

from qa_app.models import AuditEvent, User
from tests.store.helpers import snapshot

PASSWORD = "a-long-enough-password\n"


def add(cli, email: str, role: str, name: str | None = None):
    result = cli(
        "users",
        "add",
        "--email",
        email,
        "--name",
        name or email.split("@")[0].title(),
        "--role",
        role,
        "--password-stdin",
        input=PASSWORD,
    )
    assert result.exit_code == 0, result.output
    return result


def audit_events(engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()


def is_active(engine, email: str) -> bool:
    with Session(engine) as session:
        return session.exec(select(User.active).where(User.email == email)).one()


def test_list_shows_every_account_in_three_formats(app, engine, cli):
    empty = cli("users", "list")
    assert empty.exit_code == 0 and "No users yet" in empty.output
    assert json.loads(cli("users", "list", "--format", "json").output) == []

    add(cli, "ana@example.com", "admin", "Ana Admin")
    add(cli, "rita@example.com", "reviewer", '=HYPERLINK("http://x")')
    add(cli, "cora@example.com", "coach", "Cora Coach")
    assert cli("users", "deactivate", "cora@example.com").exit_code == 0

    table = cli("users", "list")
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["email", "name", "role", "active", "added"]
    # Active accounts first, by name; the deactivated coach last.
    assert [line.split()[0] for line in lines[1:]] == [
        "rita@example.com",
        "ana@example.com",
        "cora@example.com",
    ]
    assert lines[2].split()[:5] == ["ana@example.com", "Ana", "Admin", "admin", "yes"]
    assert lines[3].split()[3:5] == ["coach", "no"]

    listed = json.loads(cli("users", "list", "--format", "json").output)
    assert listed[1] == {
        "email": "ana@example.com",
        "name": "Ana Admin",
        "role": "admin",
        "active": True,
        "added": listed[1]["added"],
    }
    assert [u["active"] for u in listed] == [True, True, False]
    assert len(listed[1]["added"]) == 10  # YYYY-MM-DD

    rows = list(csv.DictReader(io.StringIO(cli("users", "list", "--format", "csv").output)))
    assert list(rows[0]) == ["email", "name", "role", "active", "added"]
    # A name a spreadsheet would run as a formula is written as text.
    assert rows[0]["name"] == '\'=HYPERLINK("http://x")'
    assert (rows[2]["email"], rows[2]["active"]) == ("cora@example.com", "false")


def test_deactivate_and_activate_are_audited_and_idempotent(app, engine, cli):
    add(cli, "ana@example.com", "admin")
    add(cli, "rita@example.com", "reviewer")

    result = cli("users", "deactivate", "Rita@Example.com")
    assert result.exit_code == 0, result.output
    assert "rita@example.com is deactivated: they can no longer log in." in result.output
    assert not is_active(engine, "rita@example.com")
    [event] = audit_events(engine, "user.deactivated")
    assert (event.before, event.after) == ({"active": True}, {"active": False})
    assert event.actor_id is None and event.actor_label == "system"
    assert "qa-app users deactivate" in event.reason

    again = cli("users", "deactivate", "rita@example.com")
    assert again.exit_code == 0
    assert "rita@example.com is already deactivated; nothing changed." in again.output
    assert len(audit_events(engine, "user.deactivated")) == 1

    back = cli("users", "activate", "rita@example.com")
    assert back.exit_code == 0, back.output
    assert "rita@example.com is active: they can log in again." in back.output
    assert is_active(engine, "rita@example.com")
    [event] = audit_events(engine, "user.activated")
    assert (event.before, event.after) == ({"active": False}, {"active": True})
    assert "already active" in cli("users", "activate", "rita@example.com").output


def test_the_last_active_admin_cannot_be_deactivated(app, engine, cli):
    add(cli, "ana@example.com", "admin")
    before = snapshot(engine)
    refused = cli("users", "deactivate", "ana@example.com")
    assert refused.exit_code == 1
    assert (
        "Error: ana@example.com is the last active admin; add or activate another admin first"
        in refused.output
    )
    assert "Traceback" not in refused.output
    assert snapshot(engine) == before and audit_events(engine, "user.deactivated") == []

    # With a second active admin the first may go, and then the second is the last one.
    add(cli, "bo@example.com", "admin")
    assert cli("users", "deactivate", "ana@example.com").exit_code == 0
    assert cli("users", "deactivate", "bo@example.com").exit_code == 1
    assert is_active(engine, "bo@example.com") and not is_active(engine, "ana@example.com")


def test_unknown_email_is_one_line(app, engine, cli):
    for command in ("deactivate", "activate"):
        result = cli("users", command, "Nobody@Example.com")
        assert result.exit_code == 1
        assert result.output == "Error: no user with email nobody@example.com\n"
