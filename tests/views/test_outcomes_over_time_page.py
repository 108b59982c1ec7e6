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


def test_the_form_alone_computes_nothing(client, users, web_app):
    _login(client, "coach")
    page = client.get(URL)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="oot-form"' in text
    assert 'href="/outcomes-over-time"' in text  # the nav link
    assert "oot-chart" not in text and "Choose outcomes" in text


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
