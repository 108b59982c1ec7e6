"""The Survival page: chart, number-at-risk table and figures for coaches, leads and admins."""

from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import text
from sqlmodel import Session

from qa_app import db
from qa_app.cli import survival as cli_survival
from qa_app.domain.survival import analysis as survival
from qa_app.domain.survival import cohorts as survival_cohorts
from tests.store.test_survival_cli import _load


@pytest.fixture
def survival_world(web_app, users, cli, tmp_path):
    engine = db.get_engine_for(web_app)
    _load(engine, cli, tmp_path)
    with Session(engine) as session:  # user text in a group name: shown escaped, never as HTML
        session.exec(text("UPDATE customers SET segment = '<b>smb</b>' WHERE segment = 'smb'"))
        session.commit()
    return web_app


def test_cli_choices_match_the_domain():
    assert cli_survival.COHORTS == survival_cohorts.COHORTS
    assert cli_survival.BY_CHOICES == survival.BY_CHOICES


def test_page_shows_chart_at_risk_table_and_figures(survival_world, auth, client):
    auth.login("coach@test.example")
    response = client.get(
        "/survival?cohort=onboarding&flag=acknowledged&as_of=2025-12-31&by=segment"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    chart = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert chart, "no chart"
    svg = base64.b64decode(chart.group(1)).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    at_risk = re.search(r'<table id="survival-at-risk">.*?</table>', page, re.S).group(0)
    # Days 0, 90, 180, 270: the chart and the table stop at the horizon the figures used,
    # where follow-up ends (359 days), not at the 365 asked for; with: 6 at first, two end at
    # 181 and 271 days; without: 7, ends at 30, 60, 90 (still at risk on day 90) and 120 days.
    rows = {
        group: re.findall(r'<td class="num">(\d+)</td>', row)
        for group, row in re.findall(r'<tr data-group="(\w+)">(.*?)</tr>', at_risk, re.S)
    }
    assert rows == {"with": ["6", "6", "6", "5"], "without": ["7", "5", "3", "3"]}
    assert 'data-figure="logrank"' in page and 'data-figure="hazard_ratio"' in page
    assert "feelings were acknowledged stayed on average" in page
    assert "small group" in page
    assert "Association, not effect." in page and "observational data" in page
    assert "Not adjusted for channel: no variation" in page
    assert "&lt;b&gt;smb&lt;/b&gt;" in page and "<b>smb</b>" not in page
    assert "Left out: 1 customer(s): ended before" in page


def test_htmx_gets_the_fragment_and_bad_input_is_named(survival_world, auth, client):
    auth.login("lead@test.example")
    fragment = client.get("/survival?as_of=2025-12-31", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<div id="survival-results">') and "<html" not in body
    boosted = client.get("/survival", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    bad = client.get("/survival?cohort=birthday&horizon=0&as_of=soon&flag=kindness")
    assert bad.status_code == 422
    text_ = bad.get_data(as_text=True)
    assert "cohort: &#39;birthday&#39;" in text_ and "horizon:" in text_ and "as of:" in text_
    unknown = client.get("/survival?flag=kindness")
    assert unknown.status_code == 422 and "unknown flag &#39;kindness&#39;" in unknown.get_data(
        as_text=True
    )


@pytest.mark.parametrize(("role", "status"), [("reviewer", 403), ("coach", 200), ("admin", 200)])
def test_roles(survival_world, auth, client, role, status):
    auth.login(f"{role}@test.example")
    assert client.get("/survival").status_code == status
    home = client.get("/").get_data(as_text=True)
    assert ('href="/survival"' in home) == (status == 200)


def _visible_text(page: str) -> str:
    """The words a reader sees: no tags, attributes, scripts or styles."""
    import html

    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_covariates_and_choices_are_named_in_words(survival_world, auth, client):
    """The Cox line, the 'Compare within' choices and the strata's headings say "agent tenure
    (days)" and "interaction type", never the columns' names."""
    auth.login("lead@test.example")
    page = client.get(
        "/survival?cohort=onboarding&flag=acknowledged&as_of=2025-12-31&by=interaction_type"
    ).get_data(as_text=True)
    seen = _visible_text(page)
    assert "agent tenure (days)" in seen and "interaction type" in seen
    for column in ("agent_tenure_days", "interaction_type"):
        assert column not in seen, column
    assert 'value="interaction_type" selected' in page  # the form still sends the column


def test_chart_text_is_readable_at_the_width_the_page_shows_it():
    """Scaled to a 1000 px wide image, and at the SVG's own size (an <img> without CSS), the
    legend, the ticks and the labels are at least 12 px (matplotlib writes each text as a
    comment, then its glyphs scaled by font size / 100; 1 pt is 4/3 px)."""
    from qa_app.charts.survival import km_chart_svg

    days = [0, 90, 180, 270]
    curves = {
        group: {"days": days, "survival": s, "low": [v - 0.1 for v in s], "high": s}
        for group, s in (("with", [1, 0.9, 0.8, 0.7]), ("without", [1, 0.7, 0.5, 0.4]))
    }
    svg = km_chart_svg(curves, 180, "acknowledged")
    width = float(re.search(r'<svg[^>]* viewBox="0 0 ([\d.]+) [\d.]+"', svg).group(1))
    texts = re.findall(
        r'<!-- (.*?) -->\s*<g (?:style="[^"]*" )?transform="translate\([^)]*\) scale\(([\d.]+) -',
        svg,
    )
    points = {text_.strip(): float(scale) * 100 for text_, scale in texts}
    assert {"with acknowledged", "without acknowledged", "0.2", "0", "horizon 180 d"} <= set(points)
    for shown_at, px_per_pt in (("1000 px", 1000 / width), ("natural size", 4 / 3)):
        small = {text_: round(pt * px_per_pt, 1) for text_, pt in points.items()}
        small = {text_: px for text_, px in small.items() if px < 12}
        assert not small, (shown_at, small)


def test_a_report_is_computed_once_until_the_data_change(survival_world, auth, client, monkeypatch):
    """The same choice on the same data answers from the kept report (the fits take seconds
    at scale); a customer who ends changes the data, and the report is computed again."""
    from datetime import UTC, datetime

    from qa_app.models import Customer
    from qa_app.store import survival as survival_store

    computed = []
    real = survival_store.survival_report
    monkeypatch.setattr(survival_store, "survival_report",
                        lambda *a, **k: computed.append(1) or real(*a, **k))  # fmt: skip
    auth.login("coach@test.example")
    url = "/survival?cohort=onboarding&flag=acknowledged&as_of=2025-12-31&horizon=200"
    first = client.get(url).get_data(as_text=True)
    again = client.get(url).get_data(as_text=True)
    assert len(computed) == 1
    figure = re.compile(r'data-figure="value">([^<]+)<')
    assert figure.findall(first) == figure.findall(again)
    with Session(db.get_engine_for(survival_world)) as session:
        customer = session.exec(
            text("SELECT id FROM customers WHERE ended_at IS NULL LIMIT 1")
        ).one()
        row = session.get(Customer, customer[0])
        row.ended_at, row.updated_at = datetime(2025, 6, 1, tzinfo=UTC), datetime.now(UTC)
        session.add(row)
        session.commit()
    client.get(url)
    assert len(computed) == 2
