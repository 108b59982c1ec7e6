"""The Outreach page: the queue with plain-words reasons and a humane opening, assignment and
closing (pathway, credit, do-not-contact recording an opt-out), roles, CSRF, bad input refused
with nothing changed, every change audited."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from qa_app import db
from qa_app.models import AuditEvent, Call, OutreachAlert, OutreachOptOut
from tests.views.conftest import csrf_token


def _alert(app, customer="K-1<script>x</script>") -> int:
    with db.transaction(db.get_engine_for(app)) as session:
        call = session.exec(select(Call).where(Call.call_id == "C-1")).one()
        alert = OutreachAlert(
            customer_id=customer,
            call_pk=call.id,
            day=date(2026, 3, 31),
            team="Harbour",
            rule="let down",
            rules_key="outreach@1",
            priority=1,
            signals=["empathy_absent", "usage_dip"],
            reasons=["usage down 45% on their baseline", "last call scored 1 on acknowledgment"],
        )
        session.add(alert)
        session.flush()
        return alert.id


def test_queue_shows_reasons_opening_and_escapes_text(scoring, auth, client):
    _alert(scoring)
    auth.login("coach@test.example")
    page = client.get("/outreach")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "usage down 45% on their baseline; last call scored 1 on acknowledgment." in html
    assert "<script>x</script>" not in html and "K-1&lt;script&gt;" in html
    # The opening quotes the rubric's top point, not a sales script.
    assert "plus option framing: the agent lays out at least two ways forward" in html
    assert 'href="/outreach"' in html  # the nav link
    auth.logout()
    auth.login("reviewer@test.example")
    assert client.get("/outreach").status_code == 403


def test_assign_and_close_with_do_not_contact_are_audited(scoring, auth, client):
    alert_id = _alert(scoring, "K-7")
    auth.login("lead@test.example")
    token = csrf_token(client.get("/outreach").get_data(as_text=True))
    # Without the CSRF token nothing happens.
    refused = client.post("/outreach/assign", data={"alert_id": alert_id, "assignee": "Ana"})
    assert refused.status_code == 400
    done = client.post(
        "/outreach/assign", data={"alert_id": alert_id, "assignee": "Ana B.", "csrf_token": token}
    )
    assert done.status_code == 303
    bad = client.post(
        "/outreach/close",
        data={"alert_id": alert_id, "pathway": "sales pitch", "credit": "12", "csrf_token": token},
    )
    assert bad.status_code == 422 and "pathway: choose one of" in bad.get_data(as_text=True)
    bad_credit = client.post(
        "/outreach/close",
        data={
            "alert_id": alert_id,
            "credit": "lots",
            "pathway": "apology_and_fix",
            "csrf_token": token,
        },
    )
    assert bad_credit.status_code == 422
    assert "credit: &#39;lots&#39; is not an amount" in bad_credit.get_data(as_text=True)
    with Session(db.get_engine_for(scoring)) as session:
        assert session.get(OutreachAlert, alert_id).status == "open"  # nothing changed
    closed = client.post(
        "/outreach/close",
        data={
            "alert_id": alert_id,
            "pathway": "apology_and_fix",
            "credit": "",
            "do_not_contact": "yes",
            "note": "Sorted the double charge",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    html = closed.get_data(as_text=True)
    assert "Alert for K-7 closed. They will not be contacted again." in html
    assert 'id="outreach-empty"' in html
    with Session(db.get_engine_for(scoring)) as session:
        alert = session.get(OutreachAlert, alert_id)
        assert (
            alert.status,
            alert.pathway,
            alert.credit,
            alert.do_not_contact,
            alert.assigned_to,
        ) == ("closed", "apology_and_fix", None, True, "Ana B.")
        assert session.exec(select(OutreachOptOut.customer_id)).all() == ["K-7"]
        actions = [
            e.action
            for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith("outreach.")
        ]
        assert actions == [
            "outreach.alert_assigned",
            "outreach.alert_closed",
            "outreach.opt_out_recorded",
        ]
    again = client.post(
        "/outreach/close", data={"alert_id": alert_id, "pathway": "escalated", "csrf_token": token}
    )
    assert again.status_code == 422 and "already closed" in again.get_data(as_text=True)


def test_a_refused_close_keeps_what_was_typed_beside_the_field_and_names_the_alert(
    scoring, auth, client
):
    """A bad credit ("ten euros") used to empty What happened, Credit and Note and put the
    message at the top only, without saying which alert."""
    from bs4 import BeautifulSoup

    first = _alert(scoring, "K-1")
    alert_id = _alert(scoring, "K-2")
    auth.login("coach@test.example")
    token = csrf_token(client.get("/outreach").get_data(as_text=True))
    typed = {
        "alert_id": alert_id,
        "pathway": "apology_and_fix",
        "credit": "ten euros",
        "do_not_contact": "yes",
        "note": "Refund agreed <b>by phone</b>",
        "csrf_token": token,
    }
    refused = client.post("/outreach/close", data=typed)
    assert refused.status_code == 422
    page = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    top = page.select_one("#outreach-problems").get_text(" ", strip=True)
    assert "Alert for K-2 not closed: credit: 'ten euros' is not an amount" in top
    assert page.select_one("#outreach-problems a")["href"] == f"#alert-{alert_id}"
    form = page.select_one(f"#alert-{alert_id} .close-form")
    assert form.select_one("option[selected]")["value"] == "apology_and_fix"
    credit = form.select_one("input[name=credit]")
    assert credit["value"] == "ten euros" and credit["aria-invalid"] == "true"
    beside = form.select_one(f"#{credit['aria-describedby']}").get_text()
    assert "'ten euros' is not an amount" in beside
    assert form.select_one("input[name=do_not_contact]").has_attr("checked")
    assert form.select_one("textarea[name=note]").get_text() == "Refund agreed <b>by phone</b>"
    # The other alert's form is as it was: empty, no message.
    other = page.select_one(f"#alert-{first} .close-form")
    assert other.select_one("input[name=credit]")["value"] == ""
    assert not other.select(".field-error") and other.select_one("option[selected]") is None
    # A refused assignment keeps the name typed, beside its field.
    long_name = "x" * 201
    refused = client.post(
        "/outreach/assign", data={"alert_id": alert_id, "assignee": long_name, "csrf_token": token}
    )
    page = BeautifulSoup(refused.get_data(as_text=True), "html.parser")
    assignee = page.select_one(f"#alert-{alert_id} .assign-form input[name=assignee]")
    assert assignee["value"] == long_name and assignee["aria-invalid"] == "true"
    assert "Alert for K-2 not assigned: assign to:" in page.select_one("#outreach-problems").text
    with Session(db.get_engine_for(scoring)) as session:
        alert = session.get(OutreachAlert, alert_id)
        assert alert.status == "open" and not alert.assigned_to


def test_credit_is_shown_in_the_organisations_currency(scoring, auth, client):
    """QA_APP_CURRENCY: the credit field says the currency and a closed alert's credit is
    shown with it (€12.50), not as a bare 12.50."""
    scoring.config["CURRENCY"] = "EUR"
    alert_id = _alert(scoring, "K-9")
    auth.login("lead@test.example")
    page = client.get("/outreach").get_data(as_text=True)
    assert "Credit given (€) (blank for none)" in page
    closed = client.post(
        "/outreach/close",
        data={"alert_id": alert_id, "pathway": "apology_and_fix", "credit": "12.5",
              "csrf_token": csrf_token(page)},  # fmt: skip
        follow_redirects=True,
    )
    table = closed.get_data(as_text=True).split('id="outreach-closed"')[1]
    assert '<td class="num">€12.50</td>' in table
