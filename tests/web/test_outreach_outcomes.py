"""The Outreach page's "What happened next": asked for after the page loads (an htmx
fragment), the whole page without htmx or when boosted, plain words with intervals and the
association label, a warning when a group is too small, and only for leads and coaches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from qa_app import db
from qa_app.models import Customer, CustomerEvent, OutreachAlert, OutreachSuppression

DAY = date(2026, 3, 1)


def _moment(days: int) -> datetime:
    return datetime.combine(DAY + timedelta(days=days), datetime.min.time(), tzinfo=UTC)


def _history(app, held_back: int = 12):
    """12 alerts closed (one without contact), ``held_back`` customers held by the daily cap;
    2 alerted and 6 held back leave within 90 days."""
    with db.transaction(db.get_engine_for(app)) as session:
        for i in range(12):
            for prefix, count in (("A", 12), ("Q", held_back)):
                if i >= count:
                    continue
                left = i < (2 if prefix == "A" else 6)
                customer = Customer(customer_id=f"{prefix}{i}", onboarded_at=_moment(-300),
                                    ended_at=_moment(30) if left else None)  # fmt: skip
                session.add(customer)
                session.flush()
                session.add(CustomerEvent(customer_pk=customer.id, at=_moment(10),
                                          kind="spend", value=50.0 + i))  # fmt: skip
            session.add(OutreachAlert(
                customer_id=f"A{i}", day=DAY, team="Harbour", rule="r", rules_key="outreach@1",
                priority=1, status="closed", closed_at=_moment(2),
                pathway="no_contact" if i == 0 else "apology_and_fix"))  # fmt: skip
            if i < held_back:
                session.add(OutreachSuppression(customer_id=f"Q{i}", day=DAY,
                                                reason="daily_cap", team="Harbour"))  # fmt: skip


def test_section_loads_as_a_fragment_in_plain_words(scoring, auth, client):
    _history(scoring)
    auth.login("coach@test.example")
    page = client.get("/outreach").get_data(as_text=True)
    assert 'id="outreach-outcomes" hx-get="/outreach/outcomes" hx-trigger="load"' in page
    fragment = client.get("/outreach/outcomes", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert "What happened next" in html
    assert "Someone spoke with the customer after <strong>11 of 12</strong> closed alerts" in html
    assert "(92%; 95% interval 65% to 99%)" in html
    assert "An association, not an effect:" in html
    # 2/12 alerted vs 6/12 held back left within 90 days.
    assert "alerted minus comparison: <strong>-33 points</strong>" in html
    assert "95% interval -61 points to +4 points" in html
    assert 'id="outreach-warnings"' not in html
    # Boosted navigation and plain requests get the whole page with the section filled in.
    boosted = client.get(
        "/outreach/outcomes", headers={"HX-Request": "true", "HX-Boosted": "true"}
    ).get_data(as_text=True)
    assert "<html" in boosted and "<h2>Queue</h2>" in boosted and "11 of 12" in boosted
    plain = client.get("/outreach/outcomes").get_data(as_text=True)
    assert "<html" in plain and "An association, not an effect:" in plain
    auth.logout()
    auth.login("reviewer@test.example")
    assert client.get("/outreach/outcomes").status_code == 403


def test_small_comparison_group_is_warned_not_given_an_interval(scoring, auth, client):
    _history(scoring, held_back=4)
    auth.login("lead@test.example")
    html = client.get("/outreach/outcomes", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="outreach-warnings"' in html
    assert "Too few customers to compare (12 alerted, 4 in the comparison group" in html
    assert "no interval" in html
