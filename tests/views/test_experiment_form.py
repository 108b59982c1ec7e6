"""The New experiment form: a lead fills in fields (no TOML), a bad value is refused with
nothing stored and every value kept, a good form makes a draft the Lock button registers, and
a coach cannot use it. SQLite and PostgreSQL."""

from __future__ import annotations

import html
from datetime import date

from bs4 import BeautifulSoup
from sqlmodel import Session

from qa_app import db
from qa_app.store.experiments import plans as experiment_store
from tests.store.helpers import snapshot
from tests.views.conftest import add_call, csrf_token

QUEUES = ("billing", "retention", "tech", "chat-a", "chat-b", "email")
HOSTILE = 'Fewer "absent" flags\n"""\nname = "evil"'


def _calls(app):
    for i, queue in enumerate(QUEUES):
        add_call(app, f"C-{i}", queue=queue, channel="chat" if "chat" in queue else "voice",
                 interaction_type="escalation" if i % 2 else "quick_win")  # fmt: skip


def _form(page: str, **changes) -> dict:
    data = {
        "csrf_token": csrf_token(page),
        "name": "form-pilot",
        "hypothesis": HOSTILE,
        "decision_rule": "Roll out if the effect is positive",
        "intervention_kind": "training",
        "intervention_name": "Empathy foundations",
        "intervention_playbook": "https://wiki.example.com/empathy",
        "control": "control",
        "treatment_0": "training",
        "ratio_control": "2",
        "ratio_treatment_0": "1",
        "queue_name": list(QUEUES),
        "primary_metric": "outcome:csat",
        "secondary_metrics": ["outcome:saved"],
        "window_start": "2027-01-11",
        "window_end": "2027-03-05",
        "after_assignment_days": "7",
        "after_exposure_days": "0",
        "complex_interaction_types": ["escalation"],
        "new_agent_days": "90",
        "channel": "on",
        "baseline_mean": "3.0",
        "baseline_sd": "1.0",
        "icc": "0.05",
        "calls_per_unit": "30",
        "alpha": "0.05",
        "power": "0.8",
    }
    for i, queue in enumerate(QUEUES):
        data[f"queue_include_{i}"] = "on"
        data[f"queue_stratum_{i}"] = "digital" if "chat" in queue or queue == "email" else "phone"
    return data | changes


def test_a_bad_window_is_refused_with_nothing_stored_and_values_kept(web_app, users, auth,
                                                                      client):  # fmt: skip
    _calls(web_app)
    auth.login("lead@test.example")
    engine = db.get_engine_for(web_app)
    page = client.get("/experiments/new").get_data(as_text=True)
    assert all(f'data-queue="{q}"' in page for q in QUEUES)
    before = snapshot(engine)
    response = client.post("/experiments/new", data=_form(page, window_end="2027-01-01"))
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    said = "Window end (2027-01-01) is before Window start (2027-01-11)"
    assert f'<a href="#field-window_end">{said}</a>' in text  # the summary links to the field
    assert f'<small class="field-error" id="error-window_end">{said}</small>' in text
    assert "[window]" not in text.split('id="generated-plan"')[0]  # form words, not TOML
    assert 'value="2027-01-01"' in text and 'value="form-pilot"' in text
    assert HOSTILE in text  # the hypothesis as typed, back in its textarea (escaped)
    assert 'id="generated-toml"' in text and "end = 2027-01-01" in text
    assert snapshot(engine) == before


def test_a_new_form_marks_what_is_required_and_defaults_the_rest(web_app, users, auth, client):
    """The fields the checker needs are marked and required; the window, alpha and power
    start filled in; left as they are, the power figures ask for nothing."""
    _calls(web_app)
    auth.login("lead@test.example")
    page = client.get("/experiments/new").get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    for name in ("name", "hypothesis", "decision_rule", "intervention_playbook",
                 "primary_metric", "window_start", "window_end"):  # fmt: skip
        control = soup.find(attrs={"name": name})
        assert control.has_attr("required"), name
        assert "(required)" in control.find_parent("label").get_text(), name
    start = date.fromisoformat(soup.find(attrs={"name": "window_start"})["value"])
    end = date.fromisoformat(soup.find(attrs={"name": "window_end"})["value"])
    assert start > date.today() and (end - start).days == 55
    assert soup.find(attrs={"name": "alpha"})["value"] == "0.05"
    blank_power = {k: "" for k in ("baseline_mean", "baseline_sd", "icc", "calls_per_unit")}
    response = client.post("/experiments/new", data=_form(page, **blank_power))
    assert response.status_code == 303, html.unescape(response.get_data(as_text=True))


def test_a_missing_playbook_is_said_beside_its_field(web_app, users, auth, client):
    _calls(web_app)
    auth.login("lead@test.example")
    page = client.get("/experiments/new").get_data(as_text=True)
    response = client.post("/experiments/new", data=_form(page, intervention_playbook=""))
    assert response.status_code == 422
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    field = soup.find(attrs={"name": "intervention_playbook"})
    assert field["aria-invalid"] == "true"
    said = soup.find(id=field["aria-describedby"]).get_text()
    assert said == "Playbook is required: text of at most 1,000 characters"
    summary = soup.find(id="plan-problems").get_text()
    assert "plan:" not in summary and "[intervention]" not in summary, summary


def test_a_good_form_makes_a_draft_that_lock_registers(web_app, users, auth, client):
    _calls(web_app)
    auth.login("lead@test.example")
    index = client.get("/experiments").get_data(as_text=True)
    assert 'href="/experiments/new"' in index
    page = client.get("/experiments/new").get_data(as_text=True)
    response = client.post("/experiments/new", data=_form(page))
    assert response.status_code == 303, html.unescape(response.get_data(as_text=True))
    assert response.location.endswith("/experiments/form-pilot")
    shown = client.get("/experiments/form-pilot").get_data(as_text=True)
    assert "Draft — not registered" in shown
    token = csrf_token(shown)
    locked = client.post("/experiments/form-pilot/lock", data={"csrf_token": token,
                                                                 "confirm": "yes"})
    assert locked.status_code == 303
    assert "Registered (locked)" in client.get("/experiments/form-pilot").get_data(as_text=True)
    engine = db.get_engine_for(web_app)
    with Session(engine) as session:
        stored = experiment_store.load(session, "form-pilot")
    plan = stored.plan
    assert plan.hypothesis == HOSTILE  # quotes, newlines and """ stayed data
    assert plan.units == QUEUES and plan.strata["chat-a"] == "digital"
    assert plan.allocation == {"control": 2, "training": 1}
    assert plan.subgroups.complex_types == ("escalation",) and plan.subgroups.channel


def test_a_coach_cannot_use_the_form(web_app, users, auth, client):
    auth.login("coach@test.example")
    assert client.get("/experiments/new").status_code == 403
    page = client.get("/experiments").get_data(as_text=True)
    assert 'href="/experiments/new"' not in page
    response = client.post("/experiments/new", data={"csrf_token": csrf_token(page),
                                                     "name": "x"})  # fmt: skip
    assert response.status_code == 403
