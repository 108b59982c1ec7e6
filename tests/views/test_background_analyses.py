"""Analyses worked out in the background: a page never waits for a long analysis.

Survival, the coaching comparison and the Mix page's flag rates answer from a kept result
when the data have not changed; otherwise the analysis starts in a thread and the page says
it is being worked out, asking again until the answer is there.
"""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import Session

from qa_app import db
from qa_app.store.demo import load_demo
from qa_app.web import background
from qa_app.web.background import Background, Pending
from tests.conftest import RUBRICS_DIR
from tests.store.test_survival_cli import _load

SURVIVAL = "/survival?cohort=onboarding&flag=acknowledged&as_of=2025-12-31"


def _poll(client, url: str, done: str, seconds: float = 60.0) -> str:
    """Ask for the htmx fragment again, as the page does, until ``done`` is in it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        if done in fragment:
            return fragment
        assert "Working on it for" in fragment, fragment[:500]
        time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


@pytest.fixture
def demo_app(web_app, users):
    load_demo(db.get_engine_for(web_app), RUBRICS_DIR)
    return web_app


@pytest.fixture
def survival_world(web_app, users, cli, tmp_path):
    _load(db.get_engine_for(web_app), cli, tmp_path)
    return web_app


def test_survival_shows_work_in_progress_then_the_answer_and_keeps_it(
    survival_world, auth, client, monkeypatch
):
    from qa_app.views import survival as view

    started, release = threading.Event(), threading.Event()
    real = view._computed

    def slow(chosen):
        started.set()
        release.wait(30)
        return real(chosen)

    monkeypatch.setattr(view, "_computed", slow)
    survival_world.config["ANALYSIS_WAIT_SECONDS"] = 0.05
    auth.login("coach@test.example")
    first = client.get(SURVIVAL)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and started.wait(10)
    # The page came at once, saying the curves are being worked out and asking again.
    assert 'id="survival-results" hx-get="' in page and 'hx-trigger="load delay:1s"' in page
    assert "Working out the survival curves" in page and "Working on it for" in page
    assert 'data-figure="logrank"' not in page
    # A second visitor joins the same work instead of starting another.
    assert "Working on it for" in client.get(SURVIVAL).get_data(as_text=True)
    release.set()
    fragment = _poll(client, SURVIVAL, 'data-figure="logrank"')
    assert "Association, not effect." in fragment
    # Kept: asked again with the same data, it answers at once without working it out again.
    started.clear()
    again = client.get(SURVIVAL).get_data(as_text=True)
    assert 'data-figure="logrank"' in again and not started.is_set()


def test_a_change_to_the_data_is_worked_out_anew(survival_world, auth, client, monkeypatch):
    from qa_app.views import survival as view

    calls = []
    real = view._computed
    monkeypatch.setattr(view, "_computed", lambda chosen: calls.append(1) or real(chosen))
    auth.login("coach@test.example")
    assert 'data-figure="logrank"' in client.get(SURVIVAL).get_data(as_text=True)
    client.get(SURVIVAL)
    assert len(calls) == 1
    with Session(db.get_engine_for(survival_world)) as session:
        session.exec(text("UPDATE customers SET segment = 'enterprise'"))
        session.exec(text("UPDATE customers SET updated_at = CURRENT_TIMESTAMP"))
        session.commit()
    assert 'data-figure="logrank"' in client.get(SURVIVAL).get_data(as_text=True)
    assert len(calls) == 2


def test_coach_comparison_and_mix_flag_rates_say_they_are_being_worked_out(
    demo_app, auth, client, monkeypatch
):
    from qa_app.views import flags as coach_view
    from qa_app.views import mix as mix_view

    release = threading.Event()
    real_compare, real_summary = coach_view.compare_outcomes, mix_view.flags_summary

    def wait_then(real):
        def run(*args, **kwargs):
            release.wait(30)
            return real(*args, **kwargs)

        return run

    monkeypatch.setattr(coach_view, "compare_outcomes", wait_then(real_compare))
    monkeypatch.setattr(mix_view, "flags_summary", wait_then(real_summary))
    demo_app.config["ANALYSIS_WAIT_SECONDS"] = 0.05
    auth.login("coach@test.example")
    coach = client.get("/coach?outcome=saved", headers={"HX-Request": "true"})
    assert 'id="comparison"' in coach.get_data(as_text=True)
    assert "Working on it for" in coach.get_data(as_text=True)
    month = client.get("/mix").get_data(as_text=True).split('name="month" value="')[1][:7]
    mix_url = f"/mix?month={month}&by=channel"
    flags = client.get(mix_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    # The fragment asks again for the same month and grouping.
    assert "Working on it for" in flags and "by=channel" in flags
    release.set()
    assert "Computing the comparison" not in _poll(client, "/coach?outcome=saved", "<table")
    assert "Computing the weighted" not in _poll(client, mix_url, "<table")


def test_an_analysis_that_fails_is_reported_to_the_next_request_then_tried_again():
    app = Flask(__name__)
    app.config["ANALYSIS_WAIT_SECONDS"] = 0.05
    kept = Background(4)
    attempts = []

    def broken():
        attempts.append(1)
        time.sleep(0.2)
        raise RuntimeError("the analysis broke")

    with app.app_context():
        assert isinstance(kept.answer("key", broken), Pending)
        deadline = time.monotonic() + 10
        while kept._running and time.monotonic() < deadline:
            time.sleep(0.02)
        with pytest.raises(RuntimeError, match="the analysis broke"):
            kept.answer("key", broken)
        assert len(attempts) == 1
        assert isinstance(kept.answer("key", broken), Pending)  # asked again: tried again
        assert len(attempts) == 2


def test_at_most_two_analyses_run_at_once():
    app = Flask(__name__)
    app.config["ANALYSIS_WAIT_SECONDS"] = 0
    kept = Background(8)
    running, most, lock, release = [0], [0], threading.Lock(), threading.Event()

    def work():
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(10)
        with lock:
            running[0] -= 1
        return "done"

    with app.app_context():
        for key in range(5):
            assert isinstance(kept.answer(key, work), Pending)
        time.sleep(0.2)
        assert most[0] == background.WORKERS == 2
        release.set()
        deadline = time.monotonic() + 10
        while kept._running and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [kept.answer(key, work) for key in range(5)] == ["done"] * 5
