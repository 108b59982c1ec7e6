"""The Machine rater page: the answer first, people beside the machine, and who sees it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from qa_app import db
from qa_app.models import (
    AuditEvent,
    Call,
    MachineJob,
    MachineModel,
    MachineScore,
    MachineVisibility,
    User,
    utcnow,
)
from tests.views.conftest import csrf_token
from tests.views.test_machine_beside_review import scored_by_machine  # noqa: F401 - fixture


def test_no_model_yet_says_how_to_train_one(scoring, auth, client):
    auth.login("lead@test.example")
    page = client.get("/machine").get_data(as_text=True)
    assert "No machine model yet" in page and "qa-app machine train" in page


def test_the_page_leads_with_agreement_against_people_and_keeps_the_choice(
    scored_by_machine, auth, client  # noqa: F811 - the fixture imported above
):
    engine = db.get_engine_for(scored_by_machine)
    with Session(engine) as session:
        model = session.exec(select(MachineModel)).one()
        model.metrics = {"method": "5-fold cross-validation by call", "dimensions": {
            "acknowledgment": {"alpha": 0.47, "ci": [0.35, 0.6], "human_alpha": 0.59,
                               "human_ci": [0.43, 0.75], "human_calls": 60, "exact": 0.43,
                               "within_one": 0.9, "n_calls": 192, "segments": [
                                   {"field": "channel", "value": "email", "alpha": 0.1,
                                    "ci": [-0.2, 0.3], "n_calls": 34, "worse": True}]},
            "summary": {"alpha": 0.71, "ci": [0.64, 0.78], "human_alpha": None,
                        "human_ci": None, "human_calls": 0, "exact": 0.5, "within_one": 0.95,
                        "n_calls": 192, "segments": []},
        }}  # fmt: skip
        session.add(model)
        session.commit()
    auth.login("lead@test.example")
    page = client.get("/machine").get_data(as_text=True)
    answer = page.split('id="machine-answer"')[1].split("</section>")[0]
    assert 'data-figure="machine-alpha">0.47 to 0.71<' in answer
    assert 'data-figure="people-alpha">0.59<' in answer
    assert "it has scored 1 of 3 calls" in answer
    assert page.index('id="machine-answer"') < page.index('id="machine-dimensions"')
    assert "<strong>0.47</strong> <small>(0.35 to 0.60)</small>" in page
    assert "1 segment(s) clearly worse than overall" in page and "channel = email" in page
    form = {"csrf_token": csrf_token(page), "rubric_id": "empathy", "after_submit": "no"}
    response = client.post("/machine/visibility", data=form, follow_redirects=True)
    assert "Reviewers now see empathy&#39;s machine scores never." in response.get_data(True)
    with Session(engine) as session:
        assert session.get(MachineVisibility, "empathy").after_submit is False
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "machine.visibility"))
        assert [e.actor_label for e in events] == ["lead@test.example"]
    bad = dict(form, rubric_id="nope")
    assert "Choose a loaded rubric" in client.post(
        "/machine/visibility", data=bad, follow_redirects=True).get_data(True)  # fmt: skip


@pytest.fixture
def sqlite_web_app(sqlite_url):
    """The web app on SQLite only: training on the demo's reviews twice (once per backend)
    would add half a minute and test nothing more than the store tests do on both."""
    from tests.conftest import _make_app

    yield from _make_app(sqlite_url)


@pytest.fixture
def auth_on_sqlite(sqlite_web_app):
    from tests.views.conftest import Auth

    client = sqlite_web_app.test_client()
    return Auth(client), client


def _run_job(client, form) -> str:
    """Start a machine job as the page's buttons do (htmx) and follow it to its end."""
    started = client.post("/machine/jobs", data=form, headers={"HX-Request": "true"})
    token = started.get_data(True).split("/machine/jobs/")[1].split('"')[0]
    for _ in range(1200):
        status = client.get(f"/machine/jobs/{token}", headers={"HX-Request": "true"})
        if "hx-trigger" not in status.get_data(True):
            return status.get_data(True)
        time.sleep(0.1)
    raise AssertionError("the machine job did not finish in two minutes")


def test_the_mix_page_says_whether_the_machine_was_used(sqlite_web_app, auth_on_sqlite):
    """Without a model every rate is people's, and the page says so; once the demo's model
    has scored the calls, each flag's prediction-powered rate comes beside its own."""
    web_app, (auth, client) = sqlite_web_app, auth_on_sqlite
    from qa_app.store.demo import load_demo
    from qa_app.store.users import create_user
    from tests.conftest import RUBRICS_DIR
    from tests.views.conftest import PASSWORD

    engine = db.get_engine_for(web_app)
    load_demo(engine, RUBRICS_DIR)
    with db.transaction(engine) as session:
        for role in ("coach", "lead"):
            create_user(session, f"{role}@test.example", role.title(), role, PASSWORD)
    auth.login("coach@test.example")
    month = client.get("/mix").get_data(as_text=True).split('name="month" value="')[1][:7]
    fragment = client.get(f"/mix?month={month}", headers={"HX-Request": "true"}).get_data(True)
    assert "Every figure here is from people's reviews" in fragment
    assert "data-ppi=" not in fragment
    # The lead trains and scores from the Machine rater page, in the background.
    auth.logout()
    auth.login("lead@test.example")
    page = client.get("/machine").get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "kind": "train"}
    finished = _run_job(client, form)
    with Session(engine) as session:
        model = session.exec(select(MachineModel)).one()
        scored = session.exec(select(func.count(func.distinct(MachineScore.call_pk)))).one()
        calls = session.exec(select(func.count(Call.id))).one()
    assert scored == calls
    assert (f"trained model empathy@1 v{model.version} on {model.training_calls} reviewed "
            f"calls, then scored {calls} calls with v{model.version}.") in finished  # fmt: skip
    again = _run_job(client, dict(form, kind="score"))
    assert "then scored" not in again and "scored 0 calls" in again  # all scored already
    auth.logout()
    auth.login("coach@test.example")
    fragment = client.get(f"/mix?month={month}", headers={"HX-Request": "true"}).get_data(True)
    assert f"With the machine: model v{model.version} scored" in fragment
    cell = fragment.split('data-ppi="acknowledged">')[1].split("</td>")[0]
    assert "% <small>(" in cell and "× the width" in cell
    # The lead sees the machine's agreement with people month by month.
    auth.logout()
    auth.login("lead@test.example")
    page = client.get("/machine").get_data(as_text=True)
    assert 'id="machine-drift" hx-get="/machine/drift" hx-trigger="load"' in page
    drift = client.get("/machine/drift", headers={"HX-Request": "true"}).get_data(True)
    assert 'id="machine-drift-table"' in drift
    months = drift.count('<tr data-month="')
    assert months >= 3 and drift.count("calls</small>") >= 4 * months - 4


def test_one_machine_job_at_a_time_and_a_dead_one_is_said_to_have_stopped(scoring, auth, client):
    from qa_app.store.jobs import runner_id
    from qa_app.views import machine as machine_view

    engine = db.get_engine_for(scoring)
    with Session(engine) as session:
        lead = session.exec(select(User).where(User.email == "lead@test.example")).one()
        # A job of a process on another machine that has not written for ten minutes.
        gone = MachineJob(token="gone", kind="score", created_by=lead.id, status="running",
                          runner="elsewhere.example:1", updated_at=utcnow() - timedelta(minutes=10))
        running = MachineJob(token="running", kind="train", created_by=lead.id,
                             status="running", runner=runner_id(), phase="training", total=40)
        session.add_all([gone, running])
        session.commit()
        machine_view._running.add(running.id)  # this process runs it
    try:
        auth.login("lead@test.example")
        page = client.get("/machine").get_data(as_text=True)
        assert "Training on 40 reviewed calls" in page
        assert 'value="train" disabled' in page
        form = {"csrf_token": csrf_token(page), "kind": "train"}
        refused = client.post("/machine/jobs", data=form, follow_redirects=True).get_data(True)
        assert "A machine job is already running (train a model, then score every call" in refused
        with Session(engine) as session:
            jobs = {j.token: j for j in session.exec(select(MachineJob))}
            assert set(jobs) == {"gone", "running"}  # nothing new started
            assert jobs["gone"].status == "failed" and "server stopped" in jobs["gone"].error
        assert "server stopped during the job" in client.get("/machine/jobs/gone").get_data(True)
        assert client.get("/machine/jobs/nope").status_code == 404
        bad = client.post("/machine/jobs", data=dict(form, kind="all"), follow_redirects=True)
        assert "Unknown machine job &#39;all&#39;" in bad.get_data(True)
    finally:
        machine_view._running.discard(running.id)
