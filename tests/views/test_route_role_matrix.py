"""Every route × every role: who may use it, generated from the URL map.

A new route fails this test until its row is added to EXPECTED: deciding who may use a page
is part of adding it. Each request runs in a fresh client: GET routes by GET, POST routes by
POST with a valid CSRF token and an empty form (the refusal of a missing field is "allowed":
the role check let it through). Permissions do not depend on the backend: SQLite only.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, select

from qa_app import create_app, db
from qa_app.models import (
    Assignment,
    Call,
    ExportJob,
    ImportJob,
    MachineJob,
    Review,
    RubricVersion,
    SessionState,
    SurveyLink,
    User,
    utcnow,
)
from qa_app.store.calibration import participants as calibration_participants
from qa_app.store.calibration import sessions as calibration_store
from qa_app.store.demo import load_demo
from tests.conftest import RUBRICS_DIR
from tests.views.conftest import csrf_token

ROLES = ("admin", "lead", "reviewer", "coach")
COLUMNS = (*ROLES, "anon", "panel")
OK, FORBIDDEN, LOGIN, MISSING = "allowed", "403", "login", "404"


def staff(*roles: str) -> dict[str, str]:
    """A page for logged-in staff of ``roles``; anyone else logged in gets 403, a visitor or
    a panelist (who has no account) is sent to log in."""
    row = {role: OK if role in roles else FORBIDDEN for role in ROLES}
    return row | {"anon": LOGIN, "panel": LOGIN}


EVERYONE = dict.fromkeys(COLUMNS, OK)
# Only the invite link opens a panel page; anyone without it (staff included) gets 404.
PANEL_LINK = dict.fromkeys(COLUMNS, MISSING) | {"panel": OK}
LEADS = ("lead", "admin")
# The HTTP API takes a bearer token only: a signed-in browser gets 401 like anyone else
# (tests/api covers tokens and their scopes).
TOKEN_ONLY = dict.fromkeys(COLUMNS, FORBIDDEN)
SCORERS = ("reviewer", "lead")
READERS = ("coach", "lead", "admin")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("static", "GET"): EVERYONE,
    ("health.healthz", "GET"): EVERYONE,
    ("api-docs.openapi_json", "GET"): EVERYONE,
    ("calls.CallByExternalId", "GET"): TOKEN_ONLY,
    ("calls.CallByExternalId", "PUT"): TOKEN_ONLY,
    ("calls.CallsInBulk", "POST"): TOKEN_ONLY,
    ("reviews.Reviews", "GET"): TOKEN_ONLY,
    ("records.CallOutcomes", "PUT"): TOKEN_ONLY,
    ("records.Customer", "PUT"): TOKEN_ONLY,
    ("records.CustomerEvents", "POST"): TOKEN_ONLY,
    ("analyses.FlagSummary", "GET"): TOKEN_ONLY,
    ("analyses.MachineScores", "GET"): TOKEN_ONLY,
    ("calibration_api.Sessions", "GET"): TOKEN_ONLY,
    ("auth.login", "GET"): EVERYONE,
    ("auth.login", "POST"): EVERYONE,
    ("auth.logout", "POST"): EVERYONE,
    ("home.index", "GET"): staff(*ROLES),
    ("queue.index", "GET"): staff(*SCORERS),
    ("queue.open_next", "GET"): staff(*SCORERS),
    ("scoring.page", "GET"): staff(*SCORERS),
    ("scoring.autosave", "POST"): staff(*SCORERS),
    ("scoring.submit", "POST"): staff(*SCORERS),
    ("scoring.review", "GET"): staff("reviewer", "lead", "admin"),
    ("scoring.edit", "POST"): staff("reviewer", "lead", "admin"),
    ("assign.index", "GET"): staff(*LEADS),
    ("assign.bulk", "POST"): staff(*LEADS),
    ("assign.one", "POST"): staff(*LEADS),
    ("admin.users", "GET"): staff("admin"),
    ("tokens.index", "GET"): staff("admin"),
    ("tokens.create", "POST"): staff("admin"),
    # The matrix's token number names no token: the admin is told so.
    ("tokens.revoke", "POST"): staff("admin") | {"admin": MISSING},
    ("admin.add_user", "POST"): staff("admin"),
    ("admin.set_active", "POST"): staff("admin"),
    ("admin.reset_password", "POST"): staff("admin"),
    ("admin.change_role", "POST"): staff("admin"),
    ("audit.index", "GET"): staff("admin"),
    ("audit.download", "GET"): staff("admin"),
    ("imports.index", "GET"): staff(*LEADS),
    ("imports.upload", "POST"): staff(*LEADS),
    # An import job is its uploader's (the lead's) and the admins': another lead has none.
    ("imports.job", "GET"): staff(*LEADS),
    ("coach.index", "GET"): staff(*READERS),
    ("coach.start_export", "POST"): staff(*READERS),
    # An export is its creator's (the coach's): other readers are told there is none.
    ("coach.export_status", "GET"): staff(*READERS) | {"lead": MISSING, "admin": MISSING},
    ("coach.download", "GET"): staff(*READERS) | {"lead": MISSING, "admin": MISSING},
    ("calibration.index", "GET"): staff(*LEADS),
    ("calibration.create", "POST"): staff(*LEADS),
    ("calibration.drift", "GET"): staff(*LEADS),
    ("calibration.manage", "GET"): staff(*LEADS),
    ("calibration.change_state", "POST"): staff(*LEADS),
    ("calibration.link_grace", "POST"): staff(*LEADS),
    ("calibration.new_link", "POST"): staff(*LEADS),
    # A reviewer is sent on to their own results (calibration.results).
    ("calibration.dashboard", "GET"): staff(*LEADS, "reviewer"),
    ("calibration.ratings_csv", "GET"): staff(*LEADS),
    ("calibration.report_xlsx", "GET"): staff(*LEADS),
    ("calibration.chart", "GET"): staff(*LEADS),
    ("calibration.record_consensus", "POST"): staff(*LEADS),
    ("calibration.include_machine", "POST"): staff(*LEADS),
    ("calibration.my_calls", "GET"): staff(*SCORERS),
    ("calibration.score", "GET"): staff(*SCORERS),
    ("calibration.score", "POST"): staff(*SCORERS),
    ("calibration.results", "GET"): staff(*SCORERS),
    ("plans.index", "GET"): staff(*READERS),
    ("plans.save", "POST"): staff(*LEADS),
    # The world has no plan named 'alpha': a role the check lets through is told there is no
    # such plan (404), any other is refused before the plan is looked up.
    ("plans.show", "GET"): staff(*READERS) | dict.fromkeys(READERS, MISSING),
    ("plans.draw", "POST"): staff(*LEADS) | dict.fromkeys(LEADS, MISSING),
    ("mix.index", "GET"): staff(*READERS),
    ("machine.index", "GET"): staff(*LEADS),
    ("machine.visibility", "POST"): staff(*LEADS),
    ("machine.drift", "GET"): staff(*LEADS),
    ("machine.start_job", "POST"): staff(*LEADS),
    ("machine.job_status", "GET"): staff(*LEADS),
    ("survival.index", "GET"): staff(*READERS),
    ("outcomes_over_time.index", "GET"): staff(*READERS),
    ("outreach.index", "GET"): staff(*READERS),
    ("outreach.assign", "POST"): staff(*READERS),
    ("outreach.close", "POST"): staff(*READERS),
    ("outreach.outcomes", "GET"): staff(*READERS),
    ("recognition.index", "GET"): staff(*READERS),
    ("recognition.export", "GET"): staff(*READERS),
    ("panel.home", "GET"): PANEL_LINK,
    ("panel.finished", "GET"): PANEL_LINK,
    ("panel.score", "GET"): PANEL_LINK,
    ("panel.score", "POST"): PANEL_LINK,
    # A customer survey link works like a panel invite (the "panel" column holds the link).
    ("customer_survey.respond", "GET"): PANEL_LINK,
    ("customer_survey.respond", "POST"): PANEL_LINK,
    ("customer_survey.thanks", "GET"): EVERYONE,
    ("customer_surveys.index", "GET"): staff(*READERS),
    ("customer_surveys.calibrate", "POST"): staff(*LEADS),
    ("experiments.index", "GET"): staff(*READERS),
    ("rollouts.index", "GET"): staff(*READERS),
    ("rollouts.evaluate", "POST"): staff(*READERS),
    ("experiments.save", "POST"): staff(*LEADS),
    ("experiments.new", "GET"): staff(*LEADS),
    ("experiments.create", "POST"): staff(*LEADS),
    # No experiment is named 'alpha': a role the check lets through is told there is none.
    ("experiments.show", "GET"): staff(*READERS) | dict.fromkeys(READERS, MISSING),
    ("experiments.report", "GET"): staff(*READERS) | dict.fromkeys(READERS, MISSING),
    ("experiments.lock", "POST"): staff(*LEADS) | dict.fromkeys(LEADS, MISSING),
    ("experiments.amend", "POST"): staff(*LEADS) | dict.fromkeys(LEADS, MISSING),
    ("experiments.assign", "POST"): staff(*LEADS) | dict.fromkeys(LEADS, MISSING),
}
RESULTS = {
    "calibration.dashboard",
    "calibration.results",
    "calibration.chart",
    "calibration.ratings_csv",
    "calibration.report_xlsx",
    "calibration.record_consensus",
    "calibration.include_machine",
}
# Run last: it replaces the panelist's link, which the panel rows use.
LAST = {"calibration.new_link"}


@pytest.fixture
def world(sqlite_url):
    """The demo data, calibration sessions (open, and revealed) with the demo reviewer, the
    lead and one panelist, and a finished export of the coach's: every URL parameter names
    something that exists, so a refusal comes from the role check, not a missing row."""
    app = create_app({"DATABASE_URL": sqlite_url, "TESTING": True, "RUBRICS_DIR": str(RUBRICS_DIR)})
    engine = db.get_engine_for(app)
    load_demo(engine, RUBRICS_DIR)
    with db.transaction(engine) as session:
        people = {u.role: u for u in session.exec(select(User).order_by(User.id)).all()[::-1]}
        reviewer = session.exec(select(User).where(User.email == "reviewer@example.com")).one()
        people["reviewer"] = reviewer
        review = session.exec(select(Review).where(Review.reviewer_id == reviewer.id)).first()
        assigned = session.exec(
            select(Call)
            .join(Assignment, Assignment.call_pk == Call.id)
            .where(Assignment.reviewer_id == reviewer.id)
        ).first()
        # Scoring is for the call's assignees: the lead is one too, so the role decides.
        session.add(Assignment(call_pk=assigned.id, reviewer_id=people["lead"].id))
        rubric_row = session.exec(select(RubricVersion)).first()
        calls = list(session.exec(select(Call.call_id).order_by(Call.id).limit(3)))
        sessions, tokens = {}, {}
        for name in ("Open", "Revealed"):
            sessions[name], tokens[name] = calibration_store.create_session(
                session,
                people["lead"],
                name,
                rubric_row,
                calls,
                [reviewer.id, people["lead"].id],
                ["Panel P"],
                None,
            )
        calibration = sessions["Open"]
        calibration.state = SessionState.OPEN
        # Results pages open only after the reveal: a state rule, not the one tested here.
        sessions["Revealed"].state = SessionState.REVEALED
        panelist = next(
            p
            for p in calibration_participants.participants(session, calibration.id)
            if p.kind == "panelist"
        )
        job = ExportJob(
            token=secrets.token_urlsafe(24),
            created_by=people["coach"].id,
            status="done",
            file_format="csv",
            filename="flags.csv",
            content=b"call_id\n",
        )
        # A finished import of the lead's (admins see every import).
        upload = ImportJob(
            token=secrets.token_urlsafe(24),
            created_by=people["lead"].id,
            status="done",
            kind="calls",
            filename="calls.csv",
            summary={
                "kind": "calls",
                "row_unit": "row",
                "warnings": [],
                "blocked": False,
                "dry_run": True,
                "valid_rows": 0,
                "contents": "0 calls",
                "rejected_rows": 0,
                "written": None,
                "errors": [],
                "error_count": 0,
                "refused_changes": [],
                "refused_count": 0,
            },
        )
        spare = User(email="spare@test.example", name="Spare", role="reviewer", password_hash="x")
        survey_token = secrets.token_urlsafe(32)
        survey_link = SurveyLink(
            call_pk=assigned.id,
            survey_key="customer-empathy@1",
            token_hash=calibration_participants.token_hash(survey_token),
            item_order=["felt_understood", "acknowledged_situation", "clear_next_steps"],
            expires_at=utcnow() + timedelta(days=1),
        )
        session.add(survey_link)
        machine_job = MachineJob(token=secrets.token_urlsafe(24), kind="score", status="done",
                                 created_by=people["lead"].id)  # fmt: skip
        session.add_all([*sessions.values(), job, upload, spare, machine_job])
        session.flush()
        values = {
            "session_id": calibration.id,
            "revealed_session_id": sessions["Revealed"].id,
            "participant_id": panelist.id,
            "user_id": spare.id,
            "review_id": review.id,
            "call_id": calls[0],
            "assigned_call_id": assigned.call_id,
            "dimension": "acknowledgment",
            "name": "alpha",
            "filename": "app.css",
            "export_token": job.token,
            "import_token": upload.token,
            "machine_job_token": machine_job.token,
            "external_id": calls[0],
            "token_id": 999_999,
            "customer_id": "CUST-0001",
            "panel_token": tokens["Open"]["Panel P"],
            "survey_token": survey_token,
        }
        user_ids = {role: people[role].id for role in ROLES}
    yield app, values, user_ids
    engine.dispose()


def url_for_rule(app, rule, column: str, values: dict) -> str:
    arguments = {}
    for name in rule.arguments:
        if name == "token" and rule.endpoint.startswith("customer_survey."):
            arguments[name] = values["survey_token"] if column == "panel" else "not-a-real-link"
        elif name == "token" and rule.endpoint.startswith("panel."):
            # Only the panelist has the link; anyone else has a made-up one.
            arguments[name] = values["panel_token"] if column == "panel" else "not-a-real-link"
        elif name == "token" and rule.endpoint.startswith("imports."):
            arguments[name] = values["import_token"]
        elif name == "token" and rule.endpoint.startswith("machine."):
            arguments[name] = values["machine_job_token"]
        elif name == "token":
            arguments[name] = values["export_token"]
        elif name == "call_id" and rule.endpoint.startswith("scoring."):
            arguments[name] = values["assigned_call_id"]
        elif name == "session_id" and rule.endpoint in RESULTS:
            arguments[name] = values["revealed_session_id"]
        else:
            arguments[name] = values[name]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **arguments)


def client_as(app, column: str, user_ids: dict):
    client = app.test_client()
    if column in ROLES:
        with Session(db.get_engine_for(app)) as session:
            user = session.get(User, user_ids[column])
            generation = user.session_generation  # a logout earlier in the run ended the last
        with client.session_transaction() as cookie:
            cookie["user_id"] = user.id
            cookie["generation"] = generation
            cookie["started"] = cookie["seen"] = time.time()
    return client


def outcome(response) -> str:
    status = response.status_code
    assert status < 500, f"server error {status}"
    if status in (401, 403):
        return FORBIDDEN
    if status in (301, 302, 303) and urlsplit(response.location).path == "/login":
        if "next=" in (urlsplit(response.location).query or ""):
            return LOGIN  # logging out also lands on /login, but without a page to go back to
    if status == 404:
        return MISSING
    return OK


def routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method))
    return sorted(found, key=lambda r: (r[0].endpoint in LAST, r[0].endpoint, r[1]))


def test_every_route_has_a_rule_for_every_role(world):
    app, _values, _users = world
    missing = [
        f"{endpoint} {method}"
        for rule, method in routes(app)
        if (endpoint := rule.endpoint, method) not in EXPECTED
    ]
    assert not missing, (
        "Routes without a row in EXPECTED (tests/views/test_route_role_matrix.py): "
        + ", ".join(missing)
        + ". Add a row saying which roles may use each one."
    )
    existing = {(rule.endpoint, method) for rule, method in routes(app)}
    stale = sorted(f"{e} {m}" for e, m in set(EXPECTED) - existing)
    assert not stale, "Rows in EXPECTED for routes that no longer exist: " + ", ".join(stale)


# The revealed session has no ratings: matplotlib warns about its empty charts, which is not
# what this test is about.
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_each_role_gets_what_the_table_says(world):
    app, values, user_ids = world
    wrong = []
    for rule, method in routes(app):
        expected = EXPECTED.get((rule.endpoint, method))
        if expected is None:
            continue  # the test above names it
        for column in COLUMNS:
            client = client_as(app, column, user_ids)
            url = url_for_rule(app, rule, column, values)
            if method == "GET":
                response = client.get(url)
            else:
                token = csrf_token(client.get("/login").get_data(as_text=True))
                response = client.open(url, method=method, data={"csrf_token": token})
            got = outcome(response)
            response.close()
            if got != expected[column]:
                wrong.append(
                    f"{column} {method} {url} ({rule.endpoint}): expected {expected[column]}, "
                    f"got {got} ({response.status_code})"
                )
            if rule.endpoint != "static":  # pages may hold personal data: never stored
                assert response.headers.get("Cache-Control") == "no-store", (column, url)
    assert not wrong, "\n".join(wrong)
