"""An app with the empathy rubric, three calls, users of every role and API tokens."""

from __future__ import annotations

import pytest

from qa_app import db
from tests.views.conftest import (  # noqa: F401 - fixtures
    add_call,
    auth,
    client,
    scoring,
    users,
)


def make_token(app, email: str, scopes: str, lifetime: str | None = "90d") -> str:
    from qa_app.store.tokens import create_token

    with db.transaction(db.get_engine_for(app)) as session:
        _row, token = create_token(session, email, "test", scopes, lifetime, "tests")
    return token


@pytest.fixture
def tokens(scoring):  # noqa: F811 - the fixture imported above
    """Bearer headers: a lead's token with every scope, a coach's read-only one."""
    lead = make_token(scoring, "lead@test.example", "calls:write,calls:read,reviews:read")
    coach = make_token(scoring, "coach@test.example", "reviews:read")
    return {
        "lead": {"Authorization": f"Bearer {lead}"},
        "coach": {"Authorization": f"Bearer {coach}"},
    }
