"""Outcomes, customers and events over the API: the imports' own checks and their refusal to
replace a stored value silently."""

from __future__ import annotations

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import Customer, CustomerEvent, Outcome
from tests.api.conftest import make_token


def _headers(app) -> dict:
    token = make_token(app, "lead@test.example", "outcomes:write,customers:write")
    return {"Authorization": f"Bearer {token}"}


def test_outcomes_are_recorded_kept_and_replaced_only_when_asked(scoring, client):
    headers = _headers(scoring)
    body = {"values": {"saved": True, "credit_amount": 15}}
    first = client.put("/api/v1/calls/C-1/outcomes", json=body, headers=headers)
    assert first.status_code == 200 and first.get_json()["created"] == 2
    again = client.put("/api/v1/calls/C-1/outcomes", json=body, headers=headers)
    assert again.get_json() == {"created": 0, "updated": 0, "unchanged": 2}
    changed = {"values": {"credit_amount": 20}}
    refused = client.put("/api/v1/calls/C-1/outcomes", json=changed, headers=headers)
    assert refused.status_code == 409 and refused.get_json()["changes"]
    assert client.put("/api/v1/calls/C-1/outcomes?replace=true", json=changed,
                      headers=headers).get_json()["updated"] == 1  # fmt: skip
    unknown = client.put("/api/v1/calls/NOPE/outcomes", json=body, headers=headers)
    assert unknown.status_code == 422 and "NOPE" in unknown.get_json()["errors"][0]["message"]
    text = client.put("/api/v1/calls/C-1/outcomes", json={"values": {"saved": "yes"}},
                      headers=headers)  # fmt: skip
    assert text.status_code == 422 and text.get_json()["errors"][0]["field"] == "json.values.saved"
    with Session(db.get_engine_for(scoring)) as session:
        values = {o.name: o.value for o in session.exec(select(Outcome))}
    assert values == {"saved": 1.0, "credit_amount": 20.0}


def test_customers_and_their_events(scoring, client):
    headers = _headers(scoring)
    customer = {"onboarded_at": "2025-01-05", "segment": "consumer", "monthly_value": 29.9}
    made = client.put("/api/v1/customers/CUST-1", json=customer, headers=headers)
    assert made.status_code == 200 and made.get_json()["created"] == 1
    moved = client.put("/api/v1/customers/CUST-1", json=dict(customer, segment="business"),
                       headers=headers)  # fmt: skip
    assert moved.status_code == 409
    nps = {"at": "2026-02-01T09:00:00Z", "kind": "nps", "value": 9}
    assert client.post("/api/v1/customers/CUST-1/events", json=nps,
                       headers=headers).get_json()["created"] == 1  # fmt: skip
    no_value = client.post("/api/v1/customers/CUST-1/events", json=dict(nps, value=None),
                           headers=headers)  # fmt: skip
    assert no_value.status_code == 422
    stranger = client.post("/api/v1/customers/CUST-9/events", json=nps, headers=headers)
    assert stranger.status_code == 422
    kind = client.post("/api/v1/customers/CUST-1/events", json=dict(nps, kind="vibe"),
                       headers=headers)  # fmt: skip
    assert kind.get_json()["errors"][0]["field"] == "json.kind"
    with Session(db.get_engine_for(scoring)) as session:
        assert session.exec(select(Customer)).one().segment == "consumer"
        assert [e.value for e in session.exec(select(CustomerEvent))] == [9.0]


def test_a_coach_cannot_be_given_a_writing_scope(scoring):
    import pytest

    from qa_app.domain.api.tokens import TokenProblem

    with pytest.raises(TokenProblem, match="a coach cannot hold outcomes:write"):
        make_token(scoring, "coach@test.example", "outcomes:write")
