"""The Outreach page's "What happened next": asked for after the page loads (an htmx
fragment), the whole page without htmx or when boosted, plain words with intervals and the
association label, a warning when a group is too small, kept between views until the data
change, and only for leads and coaches."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from qa_app import db
from qa_app.kept import Kept
from qa_app.models import Customer, CustomerEvent, OutreachAlert, OutreachSuppression
from qa_app.store.outreach import outcomes as outreach_outcome_queries
from qa_app.views import outreach as outreach_views

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
    # Churn has its interval; spend (12 per group, 30 needed) is warned, with the reason.
    warned = html.split('id="outreach-warnings"')[1].split("</ul>")[0]
    assert warned.count("<li>") == 1
    assert "at least 30 in each are needed because spend is skewed" in warned
    assert 'id="spend-caveat"' in html
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


def test_second_view_is_kept_and_a_change_recomputes(scoring, auth, client, monkeypatch):
    _history(scoring)
    monkeypatch.setattr(outreach_views, "_TRACKING", Kept(8))
    computed = []
    real = outreach_outcome_queries.outreach_tracking

    def counting(*args, **kwargs):
        computed.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(outreach_outcome_queries, "outreach_tracking", counting)
    auth.login("lead@test.example")
    fragment = {"HX-Request": "true"}
    first = client.get("/outreach/outcomes", headers=fragment).get_data(as_text=True)
    second = client.get("/outreach/outcomes", headers=fragment).get_data(as_text=True)
    assert len(computed) == 1 and first == second
    assert computed[0] == datetime.now(UTC).date()  # as of today
    # A new spend event changes the data: the next view recomputes, the one after does not.
    with db.transaction(db.get_engine_for(scoring)) as session:
        customer = session.exec(select(Customer).where(Customer.customer_id == "A5")).one()
        session.add(CustomerEvent(customer_pk=customer.id, at=_moment(20), kind="spend",
                                  value=1000.0))  # fmt: skip
    changed = client.get("/outreach/outcomes", headers=fragment).get_data(as_text=True)
    assert len(computed) == 2 and changed != first
    client.get("/outreach/outcomes", headers=fragment)
    assert len(computed) == 2
