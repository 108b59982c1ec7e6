"""The Mix page: population share against reviewed share per interaction type and channel,
month by month, and the weighted flag rates fragment."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, func, select

from qa_app import db
from qa_app.domain.imports.calls import CallRecord, parse_transcript_text
from qa_app.models import Call, Review, RubricVersion, User
from qa_app.store.calls import upsert_calls
from qa_app.store.demo import load_demo
from tests.conftest import RUBRICS_DIR
from tests.views.conftest import PASSWORD, TRANSCRIPT, csrf_token

# (call id, month, interaction type, channel, review status or None)
CALLS = [
    ("A-1", 9, "escalation", "voice", "submitted"),
    ("A-2", 9, "escalation", "voice", None),
    ("A-3", 9, "quick_win", "chat", "submitted"),
    ("B-1", 10, "escalation", "voice", "submitted"),
    ("B-2", 10, "escalation", "chat", "submitted"),
    ("B-3", 10, "escalation", "voice", None),
    ("B-4", 10, "quick_win", "chat", "draft"),  # a draft is not a review yet
    ("B-5", 10, "quick_win", "chat", None),
    ("B-6", 10, "quick_win", None, None),
    ("B-7", 10, "billing_correction", "email", "submitted"),
    ("B-8", 10, "quick_win", "chat", None),
]


@pytest.fixture
def mix_world(web_app, users):
    from qa_app.store.rubrics import register_rubric_files, rubric_files

    engine = db.get_engine_for(web_app)
    transcript = parse_transcript_text(TRANSCRIPT)
    with db.transaction(engine) as session:
        register_rubric_files(session, rubric_files(RUBRICS_DIR))
        upsert_calls(
            session,
            [
                CallRecord(
                    call_id=call_id,
                    agent="Ana B.",
                    transcript=transcript,
                    interaction_type=kind,
                    channel=channel,
                    started_at=datetime(2026, month, 15 if month == 9 else 31, 23, 30, tzinfo=UTC),
                )
                for call_id, month, kind, channel, _status in CALLS
            ],
        )
    with db.transaction(engine) as session:
        rubric_pk = session.exec(select(RubricVersion.id)).first()
        reviewer = session.exec(select(User).where(User.email == "reviewer@test.example")).one()
        pks = dict(session.exec(select(Call.call_id, Call.id)).all())
        for call_id, _month, _kind, _channel, status in CALLS:
            if status:
                session.add(
                    Review(
                        call_pk=pks[call_id],
                        reviewer_id=reviewer.id,
                        rubric_pk=rubric_pk,
                        status=status,
                    )
                )
    return web_app


def login(app, email: str, password: str = PASSWORD):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def table(page: str, table_id: str) -> dict[str, dict[str, str]]:
    """The rows of one mix table: value -> {column: text or data-share}."""
    body = re.search(rf'<table class="mix-table" id="{table_id}">(.*?)</table>', page, re.S)
    assert body, f"no table {table_id}"
    rows = {}
    for value, cells in re.findall(r'<tr data-value="([^"]+)">(.*?)</tr>', body.group(1), re.S):
        row = dict(re.findall(r'data-col="(population|reviewed)">(\d+)<', cells))
        row |= {
            f"{name}": share
            for name, share in re.findall(r'data-col="(\w+_share)" data-share="([\d.]*)"', cells)
        }
        rows[html.unescape(value)] = row
    return rows


def direct_counts(app, month: int, field: str) -> dict[str, tuple[int, int]]:
    """Calls and calls with a submitted review per value, counted straight from the tables."""
    since, until = datetime(2026, month, 1, tzinfo=UTC), datetime(2026, month + 1, 1, tzinfo=UTC)
    column = getattr(Call, field)
    with Session(db.get_engine_for(app)) as session:
        everything = session.exec(
            select(column, func.count())
            .where(Call.started_at >= since, Call.started_at < until)
            .group_by(column)
        ).all()
        reviewed = session.exec(
            select(column, func.count(func.distinct(Call.id)))
            .join(Review, Review.call_pk == Call.id)
            .where(Call.started_at >= since, Call.started_at < until, Review.status == "submitted")
            .group_by(column)
        ).all()
    done = {value or "(none)": n for value, n in reviewed}
    return {value or "(none)": (n, done.get(value or "(none)", 0)) for value, n in everything}


@pytest.mark.parametrize("field", ["interaction_type", "channel"])
def test_shares_add_up_and_match_a_direct_count(mix_world, field):
    lead = login(mix_world, "lead@test.example")
    response = lead.get("/mix")  # the latest month with calls: October
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h2>2026-10</h2>" in page
    rows = table(page, f"mix-{field}")
    expected = direct_counts(mix_world, 10, field)
    assert {v: (int(r["population"]), int(r["reviewed"])) for v, r in rows.items()} == expected
    population = sum(n for n, _r in expected.values())
    reviewed = sum(r for _n, r in expected.values())
    for value, row in rows.items():
        assert float(row["population_share"]) == pytest.approx(expected[value][0] / population)
        assert float(row["reviewed_share"]) == pytest.approx(expected[value][1] / reviewed)
    assert sum(float(r["population_share"]) for r in rows.values()) == pytest.approx(1, abs=1e-5)
    assert sum(float(r["reviewed_share"]) for r in rows.values()) == pytest.approx(1, abs=1e-5)


def test_the_known_october_mix(mix_world):
    """The fixture's own arithmetic, so a direct count that drifted with the page is caught."""
    page = login(mix_world, "coach@test.example").get("/mix?month=2026-10").get_data(as_text=True)
    rows = table(page, "mix-interaction_type")
    assert rows["escalation"] == {
        "population": "3",
        "reviewed": "2",
        "population_share": "0.375000",
        "reviewed_share": "0.666667",
    }
    assert rows["quick_win"]["reviewed"] == "0"  # the draft does not count
    assert table(page, "mix-channel")["(none)"]["population"] == "1"
    # Escalations: 66.7% of reviewed, 37.5% of calls: +29.2 points.
    assert "+29.2 pp" in page


def test_a_month_picker_and_the_history_of_differences(mix_world):
    lead = login(mix_world, "lead@test.example")
    page = lead.get("/mix?month=2026-09").get_data(as_text=True)
    rows = table(page, "mix-interaction_type")
    assert {v: r["population"] for v, r in rows.items()} == {"escalation": "2", "quick_win": "1"}
    history = re.search(r'<table class="mix-history" id="mix-history">(.*?)</table>', page, re.S)
    months = re.findall(r"<th><a href=\"[^\"]+\">(\d{4}-\d{2})</a></th>", history.group(1))
    assert months == ["2026-09", "2026-10"]
    escalation = re.search(r'<tr data-value="escalation">(.*?)</tr>', history.group(1), re.S)
    # September: 1 of 2 reviewed is escalation (50%), 2 of 3 calls (66.7%): -16.7 points.
    assert re.findall(r"([+-]\d+\.\d) pp", escalation.group(1)) == ["-16.7", "+29.2"]


@pytest.mark.parametrize("month", ["2026-13", "october", "2026-1"])
def test_a_bad_month_is_named(mix_world, month):
    response = login(mix_world, "lead@test.example").get(f"/mix?month={month}")
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert f"month: '{month}' is not a month; write it as YYYY-MM" in page
    assert "mix-table" not in page


def test_reviewers_cannot_see_the_mix(mix_world):
    assert login(mix_world, "reviewer@test.example").get("/mix").status_code == 403


def test_flag_rates_follow_as_a_fragment(web_app, users):
    load_demo(db.get_engine_for(web_app), RUBRICS_DIR)
    lead = login(web_app, "lead@example.com", "demo-lead-pass")
    page = lead.get("/mix").get_data(as_text=True)
    month = re.search(r"<h2>(\d{4}-\d{2})</h2>", page).group(1)
    placeholder = re.search(r'<div id="mix-flags" hx-get="([^"]+)"', page)
    assert placeholder, "the flag rates are loaded after the page"
    url = html.unescape(placeholder.group(1))
    assert f"month={month}" in url
    fragment = lead.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and 'id="mix-flags"' in text
    assert re.search(r'id="weighting">(plan|mix)</strong>', text)
    for header in ("Unweighted rate", "Weighted rate", "95% interval", "Effective n"):
        assert header in text
    assert re.search(r'data-flag="empathy_absent">', text)
    rows = re.findall(r'<tr class="([^"]*)" data-flag="\w+">(.*?)</tr>', text, re.S)
    assert rows
    for css, cells in rows:  # "too small" is marked in words, not only greyed out
        assert ("too-small" in css) == ("<strong>too small</strong>" in cells)
    # Boosted navigation gets the whole page, not the fragment.
    boosted = lead.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
