"""The New experiment form: a lead fills in fields (no TOML), a bad value is refused with
nothing stored and every value kept, a good form makes a draft the Lock button registers, and
a coach cannot use it. SQLite and PostgreSQL."""

from __future__ import annotations

import html

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
    assert "[window] 'end' (2027-01-01) is before 'start' (2027-01-11)" in text
    assert '<strong class="problem-field">Window end:</strong>' in text
    assert 'value="2027-01-01"' in text and 'value="form-pilot"' in text
    assert HOSTILE in text  # the hypothesis as typed, back in its textarea (escaped)
    assert 'id="generated-toml"' in text and "end = 2027-01-01" in text
    assert snapshot(engine) == before


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
    locked = client.post("/experiments/form-pilot/lock", data={"csrf_token": token})
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
