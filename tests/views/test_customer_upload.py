"""Customers and their events come in through the Import page too, with the same rules."""

from __future__ import annotations

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import Customer, CustomerEvent
from tests.store.helpers import snapshot
from tests.views.conftest import csrf_token
from tests.views.imports import upload

CUSTOMERS = (
    b"customer_id,onboarded_at,ended_at,segment,monthly_value\nK-1,2025-01-05,,consumer,29.9\n"
)


def test_a_lead_uploads_customers_then_events(scoring, auth, client):
    auth.login("lead@test.example")
    page = client.get("/imports").get_data(as_text=True)
    assert 'value="customers"' in page and 'value="events"' in page
    token = csrf_token(page)
    report = upload(client, token, "customers", CUSTOMERS, "customers.csv").get_data(as_text=True)
    assert "1 customer" in report
    engine = db.get_engine_for(scoring)
    before = snapshot(engine)
    bad = b"customer_id,at,kind,value\nK-1,2026-01-01,nps,9\nK-1,2026-01-02,mood,3\n"
    report = upload(client, token, "events", bad, "events.csv").get_data(as_text=True)
    assert "kind &#39;mood&#39; is not one of" in report and "nothing was imported" in report
    assert snapshot(engine) == before
    good = b"customer_id,at,kind,value\nK-1,2026-01-01,nps,9\n"
    upload(client, token, "events", good, "events.csv")
    with Session(engine) as session:
        assert session.exec(select(Customer.customer_id)).all() == ["K-1"]
        assert session.exec(select(CustomerEvent.value)).all() == [9.0]
