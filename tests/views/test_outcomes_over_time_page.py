"""The Outcomes over time page: the form, the figures (the same as the CLI's), the chart, the
analysis plan with its time and amendments, bad input named, htmx fragment, roles."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from qa_app import db
from qa_app.domain.panels.model import panel_report
from qa_app.store.panels import plans as analysis_plan_store
from tests.store.test_panel_cli import PLAN, build_world
from tests.views.conftest import PASSWORD

URL = "/outcomes-over-time"
ASKED = {"outcome": ["nps", "renewal"], "flag": "acknowledged", "lags": "1,12",
         "as_of": "2025-06-30"}  # fmt: skip


@pytest.fixture
def world(web_app, users, cli, tmp_path):
    return build_world(cli, db.get_engine_for(web_app), tmp_path)


def _login(client, role: str):
    from tests.views.conftest import Auth

    assert Auth(client).login(f"{role}@test.example", PASSWORD).status_code == 302


def _placeholder(text: str) -> str:
    """The results region of a first visit: the placeholder htmx fills on load."""
    return re.search(r'<div id="oot-results"[^>]*>.*?</div>', text, re.S).group(0)


def test_the_form_alone_computes_nothing_but_asks_for_the_results_on_load(client, users, web_app):
    _login(client, "coach")
    page = client.get(URL)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="oot-form"' in text
    assert 'href="/outcomes-over-time"' in text  # the nav link
    assert "oot-chart" not in text and "Associations" not in text
    placeholder = _placeholder(text)
    assert 'hx-trigger="load"' in placeholder and 'aria-busy="true"' in placeholder
    assert "Working out" in placeholder and "(takes a few seconds)" in placeholder
    fetched = html.unescape(re.search(r'hx-get="([^"]+)"', placeholder).group(1))
    linked = html.unescape(re.search(r'<a href="([^"]+)"', placeholder).group(1))
    assert fetched == linked and fetched.startswith(URL + "?outcome=nps&outcome=renewal&")
    # No data: nothing to cap, so the usual lags, and the field shows the lags asked for.
    assert "lags=1,3,12" in fetched and 'name="lags" value="1,3,12"' in text
    assert "oot-default-lags" not in text


def test_show_marks_the_results_busy_while_it_works(client, users, web_app):
    _login(client, "coach")
    text = client.get(URL).get_data(as_text=True)
    form = re.search(r'<form method="get"[^>]*id="oot-form"[^>]*>', text).group(0)
    assert 'hx-indicator="#oot-busy, #oot-results"' in form
    busy = re.search(r'<p id="oot-busy"[^>]*>[^<]*</p>', text).group(0)
    assert 'aria-busy="true"' in busy and "(takes a few seconds)" in busy
    # The vendored htmx's indicator styles are off: app.css shows the line during a request.
    response = client.get("/static/app.css")
    css = response.get_data(as_text=True)
    response.close()
    assert ".oot-busy { display: none;" in css
    assert ".oot-busy.htmx-request { display: block; }" in css


@pytest.fixture
def demo(web_app):
    from qa_app.store.demo import load_demo
    from tests.conftest import RUBRICS_DIR

    load_demo(db.get_engine_for(web_app), RUBRICS_DIR)


def test_on_the_demo_the_default_lags_are_ones_the_data_support(client, demo):
    from tests.views.conftest import Auth

    assert Auth(client).login("lead@example.com", "demo-lead-pass").status_code == 302
    page = client.get(URL)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    # Reviewed calls run from June to October 2026 and the data end in November: 4 months is
    # the longest lag with 30 customers to compare (52; 19 at 5), so 12 becomes 4.
    assert 'name="lags" value="1,3,4"' in text
    note = re.search(r'<p id="oot-default-lags">(.*?)</p>', text, re.S).group(1)
    assert "Default lags 1, 3 and 4 months, not the usual 1, 3 and 12" in note
    assert "2026-06" in note and "2026-11" in note and "(52 at 4 months, only 19 at 5)" in note
    placeholder = _placeholder(text)
    assert 'hx-trigger="load"' in placeholder and "(takes a few seconds)" in placeholder
    fetched = html.unescape(re.search(r'hx-get="([^"]+)"', placeholder).group(1))
    assert "lags=1,3,4" in fetched
    # What htmx then gets: every default lag estimated, no error.
    fragment = client.get(fetched, headers={"HX-Request": "true"})
    results = fragment.get_data(as_text=True)
    assert fragment.status_code == 200, results
    assert results.lstrip().startswith('<div id="oot-results"') and "<html" not in results
    assert 'role="alert"' not in results and "Not estimated" not in results
    assert 'src="data:image/svg+xml;base64,' in results
    for outcome in ("nps", "renewal"):
        section = results.split(f'data-outcome="{outcome}"')[1].split("</section>")[0]
        lags = re.findall(r'<tr data-lag="(\d+)" class="">', section)
        assert lags == ["1", "3", "4"], section
    # Without scripts the placeholder's link opens the same results, the note still beside them.
    plain = client.get(fetched).get_data(as_text=True)
    assert "Associations, not proven effects." in plain and 'id="oot-default-lags"' in plain
    assert 'hx-trigger="load"' not in plain


def test_figures_chart_and_association_match_the_model(client, world):
    _login(client, "lead")
    page = client.get(URL, query_string=ASKED)
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert 'src="data:image/svg+xml;base64,' in text
    assert "Associations, not proven effects." in text
    expected = panel_report(*world, "nps", "acknowledged", [1, 12], date(2025, 6, 30))
    nps = text.split('data-outcome="nps"')[1].split('data-outcome="renewal"')[0]
    cell = re.search(r'data-lag="1".*?data-col="coefficient">([^<]+)<', nps, re.S).group(1)
    assert cell == f"{expected.lags[0].coefficient:+.3f}"
    twelve = re.search(r'data-lag="12".*?</tr>', nps, re.S).group(0)
    assert "Not estimated" in twelve and "12 month(s) later" in twelve
    assert 'data-outcome="renewal"' in text


def test_htmx_gets_the_results_partial_only(client, world):
    _login(client, "admin")
    fragment = client.get(URL, query_string=ASKED, headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert text.lstrip().startswith('<div id="oot-results"') and "<html" not in text


def test_bad_input_is_named_and_escaped(client, users, web_app):
    _login(client, "coach")
    page = client.get(URL, query_string={"outcome": "<b>x</b>", "flag": "acknowledged",
                                         "lags": "1,a", "as_of": "2025-13-01"})  # fmt: skip
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" not in text
    assert "lags: lags must be whole months" in text and "is not a date" in text


def test_an_unknown_flag_or_plan_is_named(client, world):
    _login(client, "coach")
    unknown = client.get(URL, query_string={**ASKED, "flag": "kindness"})
    assert unknown.status_code == 422 and "unknown flag" in unknown.get_data(as_text=True)
    no_plan = client.get(URL, query_string={"plan": "nope"})
    assert no_plan.status_code == 422 and "no analysis plan named" in no_plan.get_data(as_text=True)


def test_the_plan_is_shown_with_its_time_and_amendments(client, world, web_app):
    with db.transaction(db.get_engine_for(web_app)) as session:
        analysis_plan_store.create(session, PLAN, "plan.toml", None)
        analysis_plan_store.amend(
            session, PLAN.replace("[3]", "[3, 6]"), "plan.toml", "<i>half-yearly</i>", None
        )
    _login(client, "coach")
    page = client.get(URL, query_string={"plan": "empathy-lags", "as_of": "2025-06-30"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    section = text.split('id="oot-plan"')[1].split("</section>")[0]
    assert "Analysis plan empathy-lags" in section and "1 amendment." in section
    assert html.escape("<i>half-yearly</i>") in section and "<i>" not in section
    assert re.search(r"Stored \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", section)
    assert 'data-lag="6"' in text and 'data-outcome="nps"' in text


def test_reviewers_may_not_open_it(client, users):
    _login(client, "reviewer")
    assert client.get(URL).status_code == 403
