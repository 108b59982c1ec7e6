"""The Experiments page: a lead saves a plan (line-named problems, nothing stored), locks it,
assigns its units from a seed and reads the report in the order promised; a coach reads only.
SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from qa_app import db
from tests.store.helpers import snapshot
from tests.store.test_experiment_cli import plan_text
from tests.views.conftest import csrf_token


def _post(client, path: str, data: dict, page: str = "/experiments"):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_a_lead_saves_locks_assigns_and_reads_the_report(web_app, users, auth, client):
    auth.login("lead@test.example")
    engine = db.get_engine_for(web_app)
    before = snapshot(engine)
    broken = plan_text().replace('unit = "queue"', 'unit = "agent"')
    response = _post(client, "/experiments", {"content": broken})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "plan:4: 'unit' must be one of queue, schedule_block" in page
    assert 'unit = "agent"' in page  # the text as typed is kept
    assert snapshot(engine) == before

    response = _post(client, "/experiments", {"content": plan_text()})
    assert response.status_code == 303 and response.location.endswith("/experiments/pilot")
    page = client.get("/experiments/pilot").get_data(as_text=True)
    assert "Draft — not registered" in page and "Lock (register) the plan" in page
    assert "Minimum detectable effect on outcome:csat" in page

    refused = client.get("/experiments/pilot/report")
    assert refused.status_code == 409
    assert "results are not computed before the plan is registered" in html.unescape(
        refused.get_data(as_text=True)
    )

    # Locking cannot be undone: the first press asks, stores nothing; the confirmation locks.
    before_lock = snapshot(engine)
    asked = _post(client, "/experiments/pilot/lock", {}, "/experiments/pilot")
    assert asked.status_code == 200
    asking = html.unescape(asked.get_data(as_text=True))
    assert "Lock 'pilot' for good?" in asking and "This cannot be undone" in asking
    assert "Draft — not registered" in asking
    assert snapshot(engine) == before_lock
    locked = _post(client, "/experiments/pilot/lock", {"confirm": "yes"}, "/experiments/pilot")
    assert locked.status_code == 303
    page = client.get("/experiments/pilot").get_data(as_text=True)
    assert "Registered (locked)" in page and "Assign the units" in page
    bad_seed = _post(client, "/experiments/pilot/assign", {"seed": "-1"}, "/experiments/pilot")
    assert bad_seed.status_code == 422
    assigned = _post(client, "/experiments/pilot/assign", {"seed": "7"}, "/experiments/pilot")
    assert assigned.status_code == 303
    page = client.get("/experiments/pilot").get_data(as_text=True)
    assert "seed 7" in page and 'id="balance"' in page
    assert len(re.findall(r'<tr data-unit="', page)) == 6
    again = _post(client, "/experiments/pilot/assign", {"seed": "8"}, "/experiments/pilot")
    assert again.status_code == 409 and "an assignment is made once" in html.unescape(
        again.get_data(as_text=True)
    )

    report = client.get("/experiments/pilot/report?explore=outcome:nps")
    assert report.status_code == 200
    page = html.unescape(report.get_data(as_text=True))
    order = [page.index(s) for s in (
        "Plan sha256", "What was promised", "Pre-registered analysis", "Primary: outcome:csat",
        "Contamination:", "Amendments (0)", "Exploratory — not pre-registered",
    )]  # fmt: skip
    assert order == sorted(order)
    # No calls yet: each metric says why it has no estimate instead of showing a number.
    assert "Not estimated: metric 'outcome:csat': no outcome named 'csat'" in page
    assert page.index("outcome:nps") > page.index("Exploratory — not pre-registered")


def test_a_coach_reads_but_cannot_change(web_app, users, auth, client):
    auth.login("lead@test.example")
    _post(client, "/experiments", {"content": plan_text()})
    auth.logout()
    auth.login("coach@test.example")
    assert "pilot" in client.get("/experiments").get_data(as_text=True)
    page = client.get("/experiments/pilot").get_data(as_text=True)
    assert "Lock (register) the plan" not in page
    refused = _post(client, "/experiments/pilot/lock", {}, "/experiments/pilot")
    assert refused.status_code == 403


def test_the_demo_shows_a_locked_assigned_pilot_whose_report_is_kept_until_the_data_change(
    web_app, users, monkeypatch
):
    """qa-app demo loads the issue's pilot on the demo's queues (two of five trained); its
    report says plainly that no result can reach 0.05 (the smallest attainable p-value from
    the design's 10 assignments), and a second view reuses the computed report until a call
    changes."""
    from sqlmodel import Session, select

    from qa_app.models import Call
    from qa_app.store.demo import load_demo
    from qa_app.store.experiments import reports as experiment_queries
    from tests.conftest import RUBRICS_DIR
    from tests.views.test_mix_page import login

    engine = db.get_engine_for(web_app)
    load_demo(engine, RUBRICS_DIR)
    load_demo(engine, RUBRICS_DIR)  # a second load adds nothing
    lead = login(web_app, "lead@example.com", "demo-lead-pass")
    listing = lead.get("/experiments").get_data(as_text=True)
    assert len(re.findall(r'data-experiment="demo-empathy-pilot"', listing)) == 1
    assert "locked 2026-06-20 09:00 UTC" in listing and "assigned, seed 20260620" in listing
    plan_page = html.unescape(lead.get("/experiments/demo-empathy-pilot").get_data(as_text=True))
    assert "Exploratory pilot." in plan_page and "never fall below 0.100" in plan_page
    assert "control 3 : training 2" in plan_page
    assert len(re.findall(r'<tr data-unit="', plan_page)) == 5

    computed = []
    real_report = experiment_queries.report
    monkeypatch.setattr(
        experiment_queries, "report", lambda *a, **k: computed.append(1) or real_report(*a, **k)
    )
    first = html.unescape(lead.get("/experiments/demo-empathy-pilot/report").get_data(as_text=True))
    assert 'data-smallest-p="0.1000"' in first
    assert "10 distinct assignments" in first and "exploratory, underpowered pilot" in first
    assert "Primary: flag:empathy_absent — training vs control" in first
    # A flag's rate: the effect and its interval in percentage points, the arms' means in %.
    primary = first[first.index("Primary: flag:empathy_absent"):]
    # (no interval here: 10 assignments give randomisation inference only, said beside it)
    assert re.search(r'data-col="effect">[+-]\d+\.\d pts</strong>, 95% interval —', primary)
    assert re.search(r"means: control \d+\.\d%, training \d+\.\d%", primary)
    assert "nan" not in re.sub(r"<[^>]+>", " ", first).lower().split()
    assert re.search(r'id="computed-at">computed \d{4}-\d\d-\d\d \d\d:\d\d UTC', first)
    again = html.unescape(lead.get("/experiments/demo-empathy-pilot/report").get_data(as_text=True))
    # kept: the same data give the same report (the page's CSRF token is signed with the time
    # in seconds, so it differs when the two views straddle a second)
    without_token = re.compile(r'"X-CSRFToken": "[^"]*"|name="csrf_token" value="[^"]*"')
    assert without_token.sub("", again) == without_token.sub("", first) and len(computed) == 1

    with Session(engine) as session:  # a call changes: the report is computed again
        call = session.exec(select(Call).where(Call.queue == "billing")).first()
        call.updated_at = datetime(2030, 1, 1, tzinfo=UTC)
        session.add(call)
        session.commit()
    assert lead.get("/experiments/demo-empathy-pilot/report").status_code == 200
    assert len(computed) == 2


def test_a_lead_amends_from_the_page_with_a_reason_and_the_report_keeps_the_registered_first(
    web_app, users, auth, client
):
    """The plan page's Amend form: without a reason (or with a broken plan) it is refused,
    the text is kept and nothing is stored; with a reason the amendment is audited and listed
    on the report, whose pre-registered analysis stays the registered plan's, the amended
    one below it, labelled."""
    from sqlmodel import Session, select

    from qa_app.models import AuditEvent, ExperimentAmendment

    auth.login("lead@test.example")
    engine = db.get_engine_for(web_app)
    _post(client, "/experiments", {"content": plan_text()})
    _post(client, "/experiments/pilot/lock", {"confirm": "yes"}, "/experiments/pilot")
    _post(client, "/experiments/pilot/assign", {"seed": "7"}, "/experiments/pilot")
    page = html.unescape(client.get("/experiments/pilot").get_data(as_text=True))
    assert "Amend the plan" in page and 'primary_metric = "outcome:csat"' in page  # prefilled

    amended = (
        plan_text()
        .replace('primary_metric = "outcome:csat"', 'primary_metric = "outcome:saved"')
        .replace('secondary_metrics = ["outcome:saved"]', 'secondary_metrics = ["outcome:csat"]')
    )
    before = snapshot(engine)
    refused = _post(
        client, "/experiments/pilot/amend", {"content": amended, "reason": "  "},
        "/experiments/pilot",
    )  # fmt: skip
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "reason: an amendment needs a reason" in page
    assert 'primary_metric = "outcome:saved"' in page  # the text as typed is kept
    broken = amended.replace('unit = "queue"', 'unit = "agent"')
    refused = _post(
        client, "/experiments/pilot/amend", {"content": broken, "reason": "Saves matter"},
        "/experiments/pilot",
    )  # fmt: skip
    assert refused.status_code == 422
    assert "plan:4: 'unit' must be one of queue, schedule_block" in html.unescape(
        refused.get_data(as_text=True)
    )
    assert snapshot(engine) == before

    done = _post(
        client, "/experiments/pilot/amend",
        {"content": amended, "reason": "Saves matter more than CSAT"}, "/experiments/pilot",
    )  # fmt: skip
    assert done.status_code == 303
    with Session(engine) as session:
        assert [a.reason for a in session.exec(select(ExperimentAmendment))] == [
            "Saves matter more than CSAT"
        ]
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert "experiment.amended" in actions
    page = html.unescape(client.get("/experiments/pilot").get_data(as_text=True))
    assert "Saves matter more than CSAT" in page and "The plan as amended" in page

    report = html.unescape(client.get("/experiments/pilot/report").get_data(as_text=True))
    promised = report[report.index("What was promised") : report.index("Pre-registered analysis")]
    assert "primary <strong>outcome:csat</strong>" in promised
    order = [report.index(s) for s in (
        "Pre-registered analysis", "Primary: outcome:csat", "Amendments (1)",
        "Saves matter more than CSAT", "Amended after registration — not pre-registered",
        'id="amended-changes"', "Amended primary: outcome:saved",
        "Exploratory — not pre-registered",
    )]  # fmt: skip
    assert order == sorted(order)
    amended_section = report[report.index('id="amended-analysis"') :]
    assert "<li>primary metric changed from outcome:csat to outcome:saved</li>" in amended_section
    assert "by lead@test.example: Saves matter more than CSAT" in amended_section
    assert "Primary: outcome:saved" not in report


def test_a_coach_sees_no_amend_form_and_cannot_amend(web_app, users, auth, client):
    auth.login("lead@test.example")
    _post(client, "/experiments", {"content": plan_text()})
    _post(client, "/experiments/pilot/lock", {"confirm": "yes"}, "/experiments/pilot")
    auth.logout()
    auth.login("coach@test.example")
    assert "Amend the plan" not in client.get("/experiments/pilot").get_data(as_text=True)
    refused = _post(
        client, "/experiments/pilot/amend", {"content": plan_text(), "reason": "x"},
        "/experiments/pilot",
    )  # fmt: skip
    assert refused.status_code == 403
