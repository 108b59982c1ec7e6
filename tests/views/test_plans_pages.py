"""The Plans page: storing a plan (with line-numbered problems), its preview, drawing and
assigning it once, who may do what, and calibration sessions filled from a drawn plan."""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from qa_app import db
from qa_app.domain.imports.calls import CallRecord, parse_transcript_text
from qa_app.domain.sampling.plan import parse_plan
from qa_app.models import (
    Assignment,
    CalibrationCall,
    CalibrationSession,
    Call,
    SampledCall,
    SamplingPlan,
    User,
)
from qa_app.store.calls import upsert_calls
from qa_app.store.sampling.plans import find_plan, plan_calls
from qa_app.store.users import create_user
from tests.views.conftest import PASSWORD, TRANSCRIPT, csrf_token

# October 2026: 10 escalations, 20 quick wins, 6 billing corrections (and calls outside it).
POPULATION = {"escalation": 10, "quick_win": 20, "billing_correction": 6}
REVIEWERS = ("reviewer@test.example", "reviewer2@test.example")
PLAN = """name = "oct-plan"
since = 2026-10-01
until = 2026-10-31
seed = 7
strata = ["interaction_type"]
reviewers = ["reviewer@test.example", "reviewer2@test.example"]

[sizes]
escalation = 5
quick_win = 4
billing_correction = 3
"""
# Line 3 has an impossible date, line 4 a negative seed, line 9 a size that is not a number.
BAD_PLAN = """name = "bad-plan"
since = 2026-10-01
until = "the end of october"
seed = -1
strata = ["interaction_type"]
reviewers = ["reviewer@test.example"]

[sizes]
escalation = "lots"
"""


@pytest.fixture
def plan_world(web_app, users):
    """Calls of October 2026 (and a few in September), a second reviewer, the rubric."""
    from qa_app.store.rubrics import register_rubric_files, rubric_files
    from tests.conftest import RUBRICS_DIR

    engine = db.get_engine_for(web_app)
    start = datetime(2026, 10, 1, 9, tzinfo=UTC)
    records, number = [], 0
    transcript = parse_transcript_text(TRANSCRIPT)
    for kind, count in POPULATION.items():
        for i in range(count):
            number += 1
            records.append(
                CallRecord(
                    call_id=f"P-{number:03d}",
                    agent=f"Agent {i % 3}",
                    transcript=transcript,
                    interaction_type=kind,
                    channel="voice",
                    started_at=start + timedelta(hours=number * 13),
                )
            )
    for i in range(3):
        records.append(
            CallRecord(
                call_id=f"S-{i}",
                agent="Agent 0",
                transcript=transcript,
                interaction_type="escalation",
                started_at=datetime(2026, 9, 20, tzinfo=UTC),
            )
        )
    with db.transaction(engine) as session:
        upsert_calls(session, records)
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
        create_user(session, REVIEWERS[1], "Second Reviewer", "reviewer", PASSWORD)
    return web_app


def login(app, email: str):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def lead(plan_world):
    return login(plan_world, "lead@test.example")


def store(client, text: str, **extra):
    token = csrf_token(client.get("/plans").get_data(as_text=True))
    return client.post("/plans", data={"csrf_token": token, "content": text, **extra})


def draw(client, name: str = "oct-plan"):
    token = csrf_token(client.get(f"/plans/{name}").get_data(as_text=True))
    return client.post(f"/plans/{name}/draw", data={"csrf_token": token})


def count(app, model) -> int:
    with Session(db.get_engine_for(app)) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_plan_with_errors_shows_every_problem_by_line_and_stores_nothing(plan_world, lead):
    response = store(lead, BAD_PLAN)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Nothing was stored: the plan has 3 problems" in page
    assert "plan:3: 'until' must be a date" in page
    assert "plan:4: 'seed' must be a whole number" in page
    assert "plan:9: size of 'escalation' must be a whole number" in page
    # The text comes back exactly as typed, in the textarea.
    textarea = re.search(r'<textarea name="content"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert textarea == BAD_PLAN
    assert count(plan_world, SamplingPlan) == 0


@pytest.mark.parametrize(
    ("line", "replacement"),
    [(3, "until = 9999-12-31"), (2, "since = 0001-01-01")],
)
def test_a_plan_with_a_year_off_the_calendar_is_refused_by_line(
    plan_world, lead, line, replacement
):
    lines = PLAN.splitlines()
    lines[line - 1] = replacement
    response = store(lead, "\n".join(lines) + "\n")
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f"plan:{line}: " in body and "in the years 1900 to 2199" in body
    assert count(plan_world, SamplingPlan) == 0


def test_a_plan_naming_a_user_who_cannot_review_is_refused(plan_world, lead):
    response = store(lead, PLAN.replace("reviewer2@test.example", "coach@test.example"))
    assert response.status_code == 422
    assert "is not an active reviewer or lead" in html.unescape(response.get_data(as_text=True))
    assert count(plan_world, SamplingPlan) == 0


def test_the_form_starts_with_a_plan_for_next_month_that_parses(plan_world, lead):
    page = html.unescape(lead.get("/plans").get_data(as_text=True))
    text = re.search(r'<textarea name="content"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    spec = parse_plan(text)
    today = datetime.now(UTC).date()
    nxt = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    assert (spec.since, spec.total) == (nxt, 200)
    assert spec.until.month == nxt.month and (spec.until + timedelta(days=1)).day == 1
    assert set(spec.reviewers) == set(REVIEWERS)  # the active reviewers, not the inactive one
    assert "[oversample]" in text and "escalation = 3.0" in text  # the defaults, commented


def test_a_valid_plan_is_stored_and_its_preview_shows_population_planned_and_pi(plan_world, lead):
    response = store(lead, PLAN)
    assert response.status_code == 303
    assert response.location.endswith("/plans/oct-plan")
    with Session(db.get_engine_for(plan_world)) as session:
        row = find_plan(session, "oct-plan")
        assert row is not None and row.content == PLAN and row.drawn_at is None
    page = lead.get("/plans/oct-plan").get_data(as_text=True)
    rows = re.findall(
        r"<tr><td>(\w+)</td>\s*<td class=\"num\" data-col=\"population\">(\d+)</td>.*?"
        r'data-col="planned">(\d+)</td>.*?data-col="probability">([\d.]+)</td>',
        page,
        re.S,
    )
    sizes = {"escalation": 5, "quick_win": 4, "billing_correction": 3}
    assert {kind: (int(n), int(p)) for kind, n, p, _pi in rows} == {
        kind: (POPULATION[kind], sizes[kind]) for kind in POPULATION
    }
    for kind, _n, _p, pi in rows:  # π = n_h / N_h
        assert float(pi) == pytest.approx(sizes[kind] / POPULATION[kind], abs=1e-4)
    assert 'id="population-total">36<' in page and 'id="planned-total">12<' in page
    assert "Design effect (Kish" in page and "effective sample size" in page
    assert "Draws 12 calls" in page and "assigns them to 2 reviewers" in page
    listing = lead.get("/plans").get_data(as_text=True)
    assert re.search(r'data-plan="oct-plan">.*?not drawn.*?<td>0</td>', listing, re.S)


def test_a_plan_file_can_be_uploaded(plan_world, lead):
    token = csrf_token(lead.get("/plans").get_data(as_text=True))
    response = lead.post(
        "/plans",
        data={"csrf_token": token, "content": "", "file": (io.BytesIO(PLAN.encode()), "oct.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert count(plan_world, SamplingPlan) == 1
    bad = lead.post(
        "/plans",
        data={"csrf_token": token, "content": "", "file": (io.BytesIO(b"\xff\xfe x"), "p.toml")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "p.toml: not UTF-8 text" in html.unescape(bad.get_data(as_text=True))


def test_drawing_assigns_the_calls_evenly_and_a_second_draw_is_refused(plan_world, lead):
    assert store(lead, PLAN).status_code == 303
    response = draw(lead)
    assert response.status_code == 303
    engine = db.get_engine_for(plan_world)
    with Session(engine) as session:
        sampled = session.exec(select(SampledCall.call_pk)).all()
        emails = dict(session.exec(select(User.id, User.email)).all())
        per_reviewer = Counter(
            emails[r] for r in session.exec(select(Assignment.reviewer_id)).all()
        )
        drawn_ids = set(session.exec(select(Call.call_id).where(Call.id.in_(sampled))).all())
    assert len(sampled) == 12
    assert set(per_reviewer) == set(REVIEWERS)
    assert sum(per_reviewer.values()) == 12
    assert max(per_reviewer.values()) - min(per_reviewer.values()) <= 1
    page = lead.get("/plans/oct-plan").get_data(as_text=True)
    assert "Drawn calls (12) · seed 7" in page
    assert set(re.findall(r'data-call="([^"]+)"', page)) == drawn_ids
    assert "Draw and assign</button>" not in page
    again = draw(lead)
    assert again.status_code == 409
    assert "already drawn" in html.unescape(again.get_data(as_text=True))
    assert count(plan_world, SampledCall) == 12 and count(plan_world, Assignment) == 12
    listing = lead.get("/plans").get_data(as_text=True)
    assert re.search(r'data-plan="oct-plan">.*?drawn 20.*?<td>12</td>', listing, re.S)
    # A drawn plan is fixed: storing it again is refused.
    changed = store(lead, PLAN.replace("seed = 7", "seed = 8"))
    assert changed.status_code == 422
    assert "give the changed plan a new name" in html.unescape(changed.get_data(as_text=True))


def test_reviewers_and_coaches_cannot_store_or_draw(plan_world, lead):
    assert store(lead, PLAN).status_code == 303
    for email in ("reviewer@test.example", "coach@test.example"):
        client = login(plan_world, email)
        token = csrf_token(client.get("/").get_data(as_text=True))
        other = PLAN.replace("oct-plan", "other")
        assert (
            client.post("/plans", data={"csrf_token": token, "content": other}).status_code == 403
        )
        assert client.post("/plans/oct-plan/draw", data={"csrf_token": token}).status_code == 403
    assert login(plan_world, "reviewer@test.example").get("/plans").status_code == 403
    coach = login(plan_world, "coach@test.example")
    page = coach.get("/plans/oct-plan").get_data(as_text=True)
    assert "Preview" in page and "Draw and assign</button>" not in page
    assert 'name="content"' not in coach.get("/plans").get_data(as_text=True)
    assert count(plan_world, SamplingPlan) == 1 and count(plan_world, SampledCall) == 0


def test_posts_without_the_csrf_token_are_refused(plan_world, lead):
    assert lead.post("/plans", data={"content": PLAN}).status_code == 400
    assert count(plan_world, SamplingPlan) == 0


def test_an_unknown_plan_is_404(plan_world, lead):
    assert lead.get("/plans/no-such-plan").status_code == 404


def test_a_calibration_session_from_a_plan_holds_its_hard_calls_first(plan_world, lead):
    # total with the default oversampling: escalations and billing corrections three times
    # their share, quick wins half of theirs.
    plan = PLAN.split("[sizes]")[0] + "total = 15\n"
    assert store(lead, plan).status_code == 303
    assert draw(lead).status_code == 303
    page = lead.get("/calibration").get_data(as_text=True)
    assert '<option value="oct-plan"' in page
    rubric_pk = re.search(r'<option value="(\d+)"(?: selected)?>empathy@1 ', page).group(1)
    response = lead.post(
        "/calibration",
        data={
            "csrf_token": csrf_token(page),
            "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
            "name": "From the plan",
            "rubric_pk": rubric_pk,
            "call_ids": "",
            "plan": "oct-plan",
            "plan_count": "6",
            "reviewer_ids": re.findall(r'name="reviewer_ids" value="(\d+)"', page),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    engine = db.get_engine_for(plan_world)
    with Session(engine) as session:
        expected = plan_calls(session, find_plan(session, "oct-plan"))[:6]
        session_id = session.exec(select(CalibrationSession.id)).one()
        held = session.exec(
            select(Call.call_id, Call.interaction_type)
            .join(CalibrationCall, CalibrationCall.call_pk == Call.id)
            .where(CalibrationCall.session_id == session_id)
            .order_by(CalibrationCall.position)
        ).all()
        kinds = dict(
            session.exec(
                select(Call.call_id, Call.interaction_type).join(
                    SampledCall, SampledCall.call_pk == Call.id
                )
            ).all()
        )
    assert [c for c, _kind in held] == expected
    # Every hard call the plan drew comes before any quick win.
    hard = [c for c, k in kinds.items() if k != "quick_win"]
    assert len(hard) >= 6 and all(kind != "quick_win" for _c, kind in held)
    assert {c for c, _k in held} <= set(hard)


def test_a_calibration_session_from_an_undrawn_plan_is_refused(plan_world, lead):
    assert store(lead, PLAN).status_code == 303
    page = lead.get("/calibration").get_data(as_text=True)
    assert '<option value="oct-plan"' not in page  # only drawn plans are offered
    rubric_pk = re.search(r'<option value="(\d+)"(?: selected)?>empathy@1 ', page).group(1)
    response = lead.post(
        "/calibration",
        data={
            "csrf_token": csrf_token(page),
            "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
            "name": "From the plan",
            "rubric_pk": rubric_pk,
            "plan": "oct-plan",
            "plan_count": "3",
        },
    )
    assert response.status_code == 422
    assert "'oct-plan' is not a drawn sampling plan" in html.unescape(
        response.get_data(as_text=True)
    )
    assert count(plan_world, CalibrationSession) == 0
