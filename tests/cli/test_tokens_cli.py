"""qa-app tokens: a token printed once and kept as a hash, its scopes never beyond its user's
role, listed without the token, revoked at once; and the API refuses it then."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from qa_app.domain.api.tokens import TokenProblem, parse_lifetime, parse_scopes, token_hash
from qa_app.models import ApiToken, AuditEvent

PASSWORD_INPUT = "a-long-enough-password\n"


def _add(cli, email: str, role: str) -> None:
    result = cli("users", "add", "--email", email, "--name", role, "--role", role,
                 "--password-stdin", input=PASSWORD_INPUT)  # fmt: skip
    assert result.exit_code == 0, result.output


def test_a_token_is_shown_once_stored_as_a_hash_listed_and_revoked(app, cli, engine):
    _add(cli, "sync@example.com", "lead")
    made = cli("tokens", "create", "--user", "sync@example.com", "--name", "telephony sync",
               "--scopes", "calls:write,reviews:read", "--expires", "30d")  # fmt: skip
    assert made.exit_code == 0, made.output
    token = made.output.splitlines()[0]
    assert token.startswith("qa_") and len(token) == 46
    with Session(engine) as session:
        row = session.exec(select(ApiToken)).one()
        assert row.token_hash == token_hash(token) and token not in repr(row.model_dump())
        assert row.scopes == ["calls:write", "reviews:read"]
        assert timedelta(days=29) < row.expires_at - row.created_at <= timedelta(days=30)
    listed = json.loads(cli("tokens", "list", "--format", "json").output)
    assert [(t["name"], t["user"], t["state"]) for t in listed] == [
        ("telephony sync", "sync@example.com", "active")]
    assert token not in cli("tokens", "list").output

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/reviews", headers=headers).status_code == 200
    assert cli("tokens", "revoke", str(listed[0]["id"])).exit_code == 0
    assert client.get("/api/v1/reviews", headers=headers).status_code == 401
    assert json.loads(cli("tokens", "list", "--format", "json").output)[0]["state"] == "revoked"
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
        assert "token.created" in actions and "token.revoked" in actions


def test_a_token_never_does_more_than_its_user_and_a_deactivated_user_loses_it(app, cli, engine):
    _add(cli, "coach@example.com", "coach")
    beyond = cli("tokens", "create", "--user", "coach@example.com", "--name", "bi",
                 "--scopes", "calls:write")  # fmt: skip
    assert beyond.exit_code != 0 and "a coach cannot hold calls:write" in beyond.output
    assert cli("tokens", "create", "--user", "nobody@example.com", "--name", "x",
               "--scopes", "reviews:read").exit_code != 0  # fmt: skip
    made = cli("tokens", "create", "--user", "coach@example.com", "--name", "bi",
               "--scopes", "reviews:read", "--expires", "never")  # fmt: skip
    token = made.output.splitlines()[0]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/reviews", headers=headers).status_code == 200
    assert cli("users", "deactivate", "coach@example.com").exit_code == 0
    refused = client.get("/api/v1/reviews", headers=headers)
    assert refused.status_code == 401 and "deactivated" in refused.get_json()["detail"]
    with Session(engine) as session:
        assert session.exec(select(ApiToken)).one().expires_at is None


@pytest.mark.parametrize(("text", "problem"), [
    ("", "give at least one scope"),
    ("calls:delete", "unknown scope calls:delete"),
    ("reviews:read,calls:write", "a reviewer cannot hold reviews:read, calls:write"),
])  # fmt: skip
def test_scopes_are_checked_against_the_role(text, problem):
    with pytest.raises(TokenProblem, match=problem):
        parse_scopes(text, "reviewer")


def test_lifetimes():
    assert parse_lifetime("90d") == timedelta(days=90)
    assert parse_lifetime("12h") == timedelta(hours=12)
    assert parse_lifetime("never") is None
    for bad in ("90", "0h", "forever", "99999d"):
        with pytest.raises(TokenProblem):
            parse_lifetime(bad)
